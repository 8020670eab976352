#!/usr/bin/python3
"""docker-py (Debian's python3-docker) against berthd: named volumes.

Written the way a docker-py user would write it; DOCKER_HOST names berthd's socket. The
expected behaviour is Docker's. docker-py 5.0.3 uses the server's API version (1.45), so
volumes.prune() has the API >= 1.42 meaning: only anonymous volumes (created without a name)
unless filters={'all': True}. Prints each check and exits non-zero at the first mismatch; an
API error shows docker-py's message (method, URL, status and berthd's error text).
"""
import os
import sys
import traceback

import docker

client = docker.DockerClient(base_url=os.environ['DOCKER_HOST'])


def step(what):
    print('--', what, flush=True)


def check(cond, what, got=None):
    if not cond:
        msg = 'FAIL: ' + what
        if got is not None:
            msg += ': got %r' % (got,)
        raise AssertionError(msg)


def names(vols):
    return sorted(v.name for v in vols)


def main():
    step("volumes.create(name='v1', labels={'a': 'b'})")
    v = client.volumes.create(name='v1', labels={'a': 'b'})
    check(isinstance(v, docker.models.volumes.Volume), 'create() returns a Volume', v)
    check(v.id == 'v1' and v.name == 'v1', 'Volume.id and .name', (v.id, v.name))
    a = v.attrs
    check(a.get('Name') == 'v1', 'attrs[Name]', a)
    check(a.get('Driver') == 'local', 'attrs[Driver] is local', a)
    check(a.get('Labels') == {'a': 'b'}, 'attrs[Labels]', a)
    check(a.get('Scope') == 'local', 'attrs[Scope]', a)
    check(str(a.get('Mountpoint', '')).startswith('/'), 'attrs[Mountpoint] is a path', a)
    check(a.get('CreatedAt'), 'attrs[CreatedAt]', a)

    step('volumes.create of an existing name returns that volume')
    again = client.volumes.create(name='v1')
    check(again.name == 'v1' and again.attrs.get('Labels') == {'a': 'b'},
          'create(name=v1) again returns the existing v1', again.attrs)

    step('volumes.create() without a name makes a volume with a generated name')
    anon = client.volumes.create()
    check(len(anon.name) == 64, 'a generated name is 64 hex digits', anon.name)

    step('volumes.list(), volumes.list(filters=...)')
    vols = client.volumes.list()
    check(all(isinstance(x, docker.models.volumes.Volume) for x in vols), 'list() returns Volumes', vols)
    check(names(vols) == sorted(['v1', anon.name]), 'list() has v1 and the generated one', names(vols))
    got = names(client.volumes.list(filters={'label': 'a=b'}))
    check(got == ['v1'], 'list(filters={label: a=b})', got)
    got = names(client.volumes.list(filters={'name': 'v1'}))
    check(got == ['v1'], 'list(filters={name: v1})', got)
    got = names(client.volumes.list(filters={'dangling': True}))
    check(got == sorted(['v1', anon.name]), 'list(filters={dangling: True}) before any use', got)
    anon.remove()

    step("volumes.get('v1').attrs; get('nosuch') raises NotFound")
    g = client.volumes.get('v1')
    check(g.attrs == v.attrs, 'get(v1).attrs is what create() returned', (g.attrs, v.attrs))
    try:
        client.volumes.get('nosuch')
        check(False, "volumes.get('nosuch') raises NotFound")
    except docker.errors.NotFound as e:
        check(e.status_code == 404, 'NotFound.status_code', e.status_code)

    step('a container writes to v1 at /data, a second one reads it')
    out = client.containers.run('busybox', ['sh', '-c', 'echo hello > /data/f; echo wrote'],
                                volumes={'v1': {'bind': '/data', 'mode': 'rw'}},
                                network_mode='none', name='dp-writer')
    check(out == b'wrote\n', 'the writer ran', out)
    out = client.containers.run('busybox', ['cat', '/data/f'],
                                volumes={'v1': {'bind': '/data', 'mode': 'ro'}},
                                network_mode='none', remove=True)
    check(out == b'hello\n', 'the reader sees the file', out)

    step('attrs[Mounts] of a container using v1')
    w = client.containers.get('dp-writer')
    mounts = w.attrs.get('Mounts')
    check(isinstance(mounts, list) and len(mounts) == 1, 'one mount', mounts)
    m = mounts[0]
    check(m.get('Type') == 'volume' and m.get('Name') == 'v1' and m.get('Destination') == '/data'
          and m.get('RW') is True and m.get('Driver') == 'local', 'the mount is volume v1 at /data, rw', m)
    check(w.attrs['HostConfig'].get('Binds') == ['v1:/data:rw'], 'HostConfig.Binds', w.attrs['HostConfig'].get('Binds'))

    step("mode 'ro' is read-only")
    try:
        client.containers.run('busybox', ['sh', '-c', 'echo x > /data/g'],
                              volumes={'v1': {'bind': '/data', 'mode': 'ro'}},
                              network_mode='none', remove=True)
        check(False, 'writing to a ro volume fails')
    except docker.errors.ContainerError as e:
        check(b'Read-only file system' in (e.stderr or b''), 'the write fails with EROFS', e.stderr)

    step('a missing named volume is created by run; an empty volume is filled from the image')
    out = client.containers.run('busybox', ['cat', '/etc/passwd'],
                                volumes={'v2': {'bind': '/etc', 'mode': 'rw'}},
                                network_mode='none', remove=True)
    check(out.startswith(b'root:x:0:0:'), 'the image /etc/passwd is in the new volume', out)
    check(client.volumes.get('v2').attrs.get('Driver') == 'local', 'v2 exists after run', None)
    out = client.containers.run('busybox', ['cat', '/x/passwd'],
                                volumes={'v2': {'bind': '/x', 'mode': 'ro'}},
                                network_mode='none', remove=True)
    check(out.startswith(b'root:x:0:0:'), 'v2 kept the copied files', out)

    step('volume.remove() of a volume in use raises APIError 409')
    try:
        g.remove()
        check(False, 'removing v1 while dp-writer uses it raises APIError')
    except docker.errors.APIError as e:
        check(e.status_code == 409, 'status_code of removing a volume in use', e.status_code)
        check('in use' in str(e.explanation), 'explanation', e.explanation)
    got = names(client.volumes.list(filters={'dangling': False}))
    check(got == ['v1'], 'list(filters={dangling: False}) is the used volume', got)

    step('volumes.prune() removes unused anonymous volumes; filters={all: True} named ones too')
    client.volumes.create(name='v3')
    anon = client.volumes.create()
    check(anon.attrs.get('Labels') == {'com.docker.volume.anonymous': ''},
          'a volume created without a name is labelled anonymous', anon.attrs)
    r = client.volumes.prune()
    check(isinstance(r, dict) and 'SpaceReclaimed' in r, 'prune() result has SpaceReclaimed', r)
    check(r.get('VolumesDeleted') == [anon.name], 'prune() VolumesDeleted is the anonymous volume', r)
    got = names(client.volumes.list())
    check(got == ['v1', 'v2', 'v3'], 'named volumes are left by prune()', got)
    r = client.volumes.prune(filters={'all': True})
    check(sorted(r.get('VolumesDeleted') or []) == ['v2', 'v3'], 'prune(filters={all: True}) VolumesDeleted', r)
    got = names(client.volumes.list())
    check(got == ['v1'], 'only v1 (in use) is left', got)

    step('volume.remove() once unused; the volume is gone')
    w.remove()
    g.remove()
    try:
        client.volumes.get('v1')
        check(False, 'v1 is gone after remove()')
    except docker.errors.NotFound:
        pass
    check(client.volumes.list() == [], 'no volumes left', client.volumes.list())
    r = client.volumes.prune()
    check(not r.get('VolumesDeleted'), 'prune() with nothing to remove', r)

    step('removing a missing volume raises NotFound')
    # (docker-py 5.0.3 drops remove_volume's force=True: it never reaches the daemon)
    try:
        client.api.remove_volume('nosuch')
        check(False, "remove_volume('nosuch') raises NotFound")
    except docker.errors.NotFound as e:
        check(e.status_code == 404, 'NotFound.status_code', e.status_code)
    print('OK', flush=True)


if __name__ == '__main__':
    try:
        main()
    except AssertionError as e:
        print(e, flush=True)
        sys.exit(1)
    except docker.errors.APIError as e:
        traceback.print_exc()
        print('FAIL: docker API error: %s' % (e,), flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print('FAIL: unexpected exception', flush=True)
        sys.exit(1)
