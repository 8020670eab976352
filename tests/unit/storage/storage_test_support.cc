#include "storage_test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "archive/changes.h"
#include "base/file.h"
#include "storage/mounts.h"

namespace berth::storage::testing {

std::vector<std::string> mounts_below(const std::string& dir) {
  auto m = mounts_under(dir);
  return m ? *m : std::vector<std::string>{};
}

namespace {

bool have_program(const char* name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    if (access((std::string(dir) + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Runs argv quietly; true on exit status 0.
bool run(std::vector<std::string> argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

std::string BtrfsLoop::setup(const std::string& dir) {
  if (geteuid() != 0) return "btrfs tests need root";
  auto fs = read_file("/proc/filesystems");
  if (!fs || fs->find("btrfs") == std::string::npos) return "kernel has no btrfs";
  if (!have_program("mkfs.btrfs")) return "mkfs.btrfs not installed";
  image_ = dir + "/btrfs.img";
  {
    UniqueFd f(open(image_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!f || ftruncate(f.get(), 512L << 20) < 0) return "cannot create btrfs image";
  }
  if (!run({"mkfs.btrfs", "-q", "-f", image_})) return "mkfs.btrfs failed";
  UniqueFd ctl(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!ctl) return "no /dev/loop-control";
  UniqueFd backing(open(image_.c_str(), O_RDWR | O_CLOEXEC));
  // Others may grab the same free device between GET_FREE and CONFIGURE: retry.
  for (int attempt = 0; attempt < 20 && !loop_; ++attempt) {
    int n = ioctl(ctl.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return "no free loop device";
    std::string dev = "/dev/loop" + std::to_string(n);
    if (access(dev.c_str(), F_OK) < 0) mknod(dev.c_str(), S_IFBLK | 0660, makedev(7, n));
    UniqueFd fd(open(dev.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) continue;
    loop_config cfg{};
    cfg.fd = static_cast<__u32>(backing.get());
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;  // detaches itself once unmounted and closed
    if (ioctl(fd.get(), LOOP_CONFIGURE, &cfg) == 0) {
      loop_ = std::move(fd);
      loop_dev_ = dev;
    }
  }
  if (!loop_) return "could not attach a loop device";
  mnt_ = dir + "/mnt";
  if (mkdir(mnt_.c_str(), 0755) < 0) return "mkdir mount point";
  if (mount(loop_dev_.c_str(), mnt_.c_str(), "btrfs", 0, nullptr) < 0)
    return std::string("mount btrfs: ") + strerror(errno);
  mounted_ = true;
  return "";
}

BtrfsLoop::~BtrfsLoop() {
  if (mounted_) {
    unmount_below(mnt_);
  }
  if (loop_) ioctl(loop_.get(), LOOP_CLR_FD, 0);  // no-op error if autoclear did it already
  loop_.reset();
  if (!image_.empty()) unlink(image_.c_str());
}

void put_dir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  ASSERT_TRUE(mkdir_all(path));
  ASSERT_EQ(chown(path.c_str(), uid, gid), 0) << path;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

void put_file(const std::string& path, const std::string& data, mode_t mode, uid_t uid, gid_t gid) {
  ASSERT_TRUE(mkdir_all(path.substr(0, path.find_last_of('/'))));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    ASSERT_TRUE(out.good()) << path;
  }
  ASSERT_EQ(chown(path.c_str(), uid, gid), 0) << path;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

std::string slurp(const std::string& path) {
  auto r = read_file(path);
  return r ? *r : "<" + r.error().message() + ">";
}

UniqueFd tree_tar(const std::string& dir) {
  UniqueFd fd(memfd_create("layer.tar", MFD_CLOEXEC));
  auto r = archive::write_tree_tar(fd.get(), dir);
  EXPECT_TRUE(r) << r.error().message();
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

UniqueFd entries_tar(const std::vector<TarEntry>& entries) {
  UniqueFd fd(memfd_create("layer.tar", MFD_CLOEXEC));
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_fd(a, fd.get());
  for (const auto& e : entries) {
    struct archive_entry* ent = archive_entry_new();
    archive_entry_set_pathname(ent, e.path.c_str());
    archive_entry_set_mtime(ent, 1700000000, 0);
    switch (e.type) {
      case 'd':
        archive_entry_set_filetype(ent, AE_IFDIR);
        break;
      case 'l':
        archive_entry_set_filetype(ent, AE_IFLNK);
        archive_entry_set_symlink(ent, e.data.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_hardlink(ent, e.data.c_str());
        break;
      default:
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_size(ent, static_cast<la_int64_t>(e.data.size()));
    }
    archive_entry_set_perm(ent, e.mode);
    EXPECT_EQ(archive_write_header(a, ent), ARCHIVE_OK) << archive_error_string(a);
    if (e.type == 'f' && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ent);
  }
  archive_write_close(a);
  archive_write_free(a);
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

namespace {

void describe(const std::string& root, const std::string& rel,
              std::map<std::string, std::string>& out) {
  for (const auto& name : list_dir(root + rel)) {
    std::string r = rel + "/" + name;
    std::string p = root + r;
    struct stat st;
    if (lstat(p.c_str(), &st) < 0) continue;
    std::ostringstream d;
    d << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid;
    if (S_ISREG(st.st_mode)) {
      d << " " << st.st_size << " " << slurp(p);
    } else if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(p.c_str(), buf, sizeof buf);
      d << " -> " << std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      d << " dev " << major(st.st_rdev) << "," << minor(st.st_rdev);
    }
    out[r] = d.str();
    if (S_ISDIR(st.st_mode)) describe(root, r, out);
  }
}

}  // namespace

std::map<std::string, std::string> describe_tree(const std::string& root) {
  std::map<std::string, std::string> out;
  describe(root, "", out);
  return out;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::storage::testing
