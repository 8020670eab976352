// berth-image's container-layer and maintenance subcommands: rw-create, rw-mount, rw-umount,
// rw-rm, diff, export, commit, image-prune, df, gc.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "image/store.h"

namespace berth::cli {

class LayerCommands {
 public:
  explicit LayerCommands(CLI::App& app);
  // Whether one of these subcommands was given.
  bool selected() const;
  int run(image::Store& s);

 private:
  CLI::App *rw_create_, *rw_mount_, *rw_umount_, *rw_rm_, *diff_, *export_, *commit_, *prune_, *df_,
      *gc_;
  std::string id_, image_, output_, author_, message_, reference_;
  std::vector<std::string> changes_;
  bool all_ = false, verbose_ = false, ignored_ = false;
};

// Docker's units.HumanSize: four significant digits, decimal units ("1.234MB", "0B").
std::string human_size4(double bytes);

}  // namespace berth::cli
