#!/usr/bin/python3
"""docker-py (Debian's python3-docker) against berthd: containers and images.

Written the way a docker-py user would write it; DOCKER_HOST names berthd's socket. Prints
each check and exits non-zero at the first mismatch; an API error shows docker-py's message
(method, URL, status and berthd's error text).
"""
import os
import sys
import time
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


def eventually(pred, what, show=None, timeout=10):
    """Polls pred() until it is true; on timeout fails showing show()."""
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            check(False, what, show() if show else None)
        time.sleep(0.1)


def test_run_remove():
    step("containers.run('busybox', 'echo hi', remove=True) returns b'hi\\n'")
    before = [c.id for c in client.containers.list(all=True)]
    out = client.containers.run('busybox', 'echo hi', remove=True, network_mode='none')
    check(out == b'hi\n', "run(remove=True) output is b'hi\\n'", out)
    after = [c.id for c in client.containers.list(all=True)]
    check(after == before, 'the container is removed after run(remove=True)', after)

    step('run: a non-zero exit raises ContainerError with the exit status and stderr')
    try:
        client.containers.run('busybox', ['sh', '-c', 'echo oops >&2; exit 4'],
                              network_mode='none', name='dp-fail')
        check(False, 'ContainerError raised for exit 4')
    except docker.errors.ContainerError as e:
        check(e.exit_status == 4, 'ContainerError.exit_status', e.exit_status)
        check(e.stderr == b'oops\n', 'ContainerError.stderr', e.stderr)
    client.containers.get('dp-fail').remove()


def test_detached():
    step('run(detach=True, network_mode=none, labels, environment)')
    c = client.containers.run(
        'busybox', ['sh', '-c', 'echo start $FOO; sleep 0.1; echo err >&2; '
                    'trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'],
        detach=True, network_mode='none', name='dp-main',
        labels={'k': 'v', 'suite': 'docker-py'}, environment={'FOO': 'bar'})
    check(isinstance(c, docker.models.containers.Container), 'run(detach=True) returns a Container', c)
    check(c.name == 'dp-main', 'Container.name', c.name)
    check(len(c.id) == 64, 'Container.id is 64 hex digits', c.id)
    check(c.short_id == c.id[:10], 'Container.short_id', c.short_id)
    check(c.labels == {'k': 'v', 'suite': 'docker-py'}, 'Container.labels', c.labels)
    check('FOO=bar' in c.attrs['Config']['Env'], 'Config.Env has FOO=bar', c.attrs['Config']['Env'])
    check(c.attrs['HostConfig']['NetworkMode'] == 'none', 'HostConfig.NetworkMode', c.attrs['HostConfig']['NetworkMode'])
    check(c.image.tags == ['busybox:latest'], 'Container.image.tags', c.image.tags)

    step('reload() and status, attrs[State]')
    eventually(lambda: (c.reload(), c.status)[1] == 'running', 'status becomes running', lambda: c.status)
    st = c.attrs['State']
    check(st['Running'] is True and st['Status'] == 'running', 'State.Running/Status', st)
    check(isinstance(st['Pid'], int) and st['Pid'] > 0, 'State.Pid', st.get('Pid'))
    check(st['ExitCode'] == 0, 'State.ExitCode', st.get('ExitCode'))

    step('logs(), logs(stdout=False), logs(stream=True)')
    eventually(lambda: c.logs() == b'start bar\nerr\n', 'logs() has stdout and stderr', c.logs)
    check(c.logs(stderr=False) == b'start bar\n', 'logs(stderr=False)', c.logs(stderr=False))
    check(c.logs(stdout=False) == b'err\n', 'logs(stdout=False)', c.logs(stdout=False))
    chunks = list(c.logs(stream=True, follow=False))
    check(all(isinstance(x, bytes) for x in chunks), 'logs(stream=True, follow=False) yields bytes', chunks)
    check(b''.join(chunks) == b'start bar\nerr\n', 'logs(stream=True, follow=False) content', chunks)
    # logs(stream=True) follows: it ends when the container exits
    f = client.containers.run('busybox', ['sh', '-c', 'echo one; sleep 1; echo two >&2; sleep 0.5'],
                              detach=True, network_mode='none', name='dp-follow')
    t0 = time.time()
    chunks = list(f.logs(stream=True))
    check(b''.join(chunks) == b'one\ntwo\n', 'logs(stream=True) follows to the end', chunks)
    check(time.time() - t0 > 1, 'logs(stream=True) waited for the container', time.time() - t0)
    f.remove()
    check(c.logs(timestamps=True).split(b' ', 1)[0].endswith(b'Z'), 'logs(timestamps=True)', c.logs(timestamps=True))
    check(c.logs(tail=1) == b'err\n', 'logs(tail=1)', c.logs(tail=1))

    step('containers.list(all=True, filters={label: k=v}) and list()')
    other = client.containers.create('busybox', 'true', name='dp-other', network_mode='none',
                                     labels={'k': 'w'})
    got = [x.name for x in client.containers.list(all=True, filters={'label': 'k=v'})]
    check(got == ['dp-main'], 'list(all=True, filters={label: k=v})', got)
    got = sorted(x.name for x in client.containers.list(all=True, filters={'label': 'k'}))
    check(got == ['dp-main', 'dp-other'], 'list(all=True, filters={label: k})', got)
    got = [x.name for x in client.containers.list()]
    check(got == ['dp-main'], 'list() shows only running containers', got)
    got = [x.name for x in client.containers.list(all=True, filters={'name': 'dp-other'})]
    check(got == ['dp-other'], 'list(filters={name})', got)
    got = [x.name for x in client.containers.list(all=True, filters={'status': 'created'})]
    check(got == ['dp-other'], 'list(filters={status: created})', got)
    other.remove()

    step('get by name, by short id; get(nosuch) raises NotFound')
    check(client.containers.get('dp-main').id == c.id, 'get(name).id', client.containers.get('dp-main').id)
    check(client.containers.get(c.short_id).id == c.id, 'get(short_id).id', None)
    try:
        client.containers.get('nosuch')
        check(False, 'containers.get(nosuch) raises NotFound')
    except docker.errors.NotFound as e:
        check(e.status_code == 404, 'NotFound.status_code', e.status_code)
        check('No such container: nosuch' in str(e.explanation), 'NotFound explanation', e.explanation)

    step('a name conflict raises APIError 409')
    try:
        client.containers.create('busybox', 'true', name='dp-main', network_mode='none')
        check(False, 'creating a second dp-main raises APIError')
    except docker.errors.APIError as e:
        check(e.status_code == 409, 'APIError.status_code for a name conflict', e.status_code)
        check(e.is_client_error(), 'a conflict is a client error', e)
        check('is already in use' in str(e.explanation), 'conflict explanation', e.explanation)
    return c


def test_exec(c):
    step('exec_run(\'sh -c "echo x; exit 3"\')')
    r = c.exec_run('sh -c "echo x; exit 3"')
    check(r.exit_code == 3, 'exec_run exit_code', r.exit_code)
    check(r.output == b'x\n', 'exec_run output', r.output)
    code, out = c.exec_run('true')
    check((code, out) == (0, b''), 'exec_run(true) unpacks to (0, b"")', (code, out))

    step('exec_run with environment, workdir, user')
    r = c.exec_run(['sh', '-c', 'echo $FOO $BAR $(pwd) $(id -u):$(id -g)'],
                   environment={'BAR': 'baz'}, workdir='/tmp', user='1000:1000')
    check(r.exit_code == 0, 'exec_run exit_code', r)
    check(r.output == b'bar baz /tmp 1000:1000\n', 'env from the container and the exec, workdir, user', r.output)
    r = c.exec_run('env', environment=['A=1', 'B=2'])
    check(b'A=1\n' in r.output and b'B=2\n' in r.output, 'environment as a list', r.output)

    step('exec_run(demux=True) separates stdout and stderr; stream=True')
    r = c.exec_run(['sh', '-c', 'echo out; echo err >&2'], demux=True)
    check(r.output == (b'out\n', b'err\n'), 'exec_run(demux=True) output', r.output)
    r = c.exec_run(['sh', '-c', 'echo a; sleep 0.2; echo b'], stream=True)
    check(r.exit_code is None, 'exec_run(stream=True) has no exit code', r.exit_code)
    check(b''.join(r.output) == b'a\nb\n', 'exec_run(stream=True) output', None)

    step('exec_run(tty=True)')
    r = c.exec_run('tty', tty=True)
    check(r.exit_code == 0 and r.output.startswith(b'/dev/pts/'), 'exec_run(tty=True) has a tty', r)

    step('exec_run of a missing command')
    r = c.exec_run('nosuchcommand')
    check(r.exit_code == 126 or r.exit_code == 127, 'exec_run(nosuchcommand) exit code', r)


def test_stop_wait_kill(c):
    step('stop(timeout=1): TERM is trapped, the container exits 0; wait() returns StatusCode')
    t0 = time.time()
    c.stop(timeout=1)
    r = c.wait()
    check(r.get('StatusCode') == 0, 'wait() StatusCode after stop', r)
    check('Error' in r and r['Error'] is None, 'wait() Error is None', r)
    c.reload()
    check(c.status == 'exited', 'status after stop', c.status)
    check(c.attrs['State']['ExitCode'] == 0, 'State.ExitCode', c.attrs['State'])
    check(c.logs().endswith(b'bye\n'), 'the trap ran', c.logs())
    check(time.time() - t0 < 5, 'stop did not wait for a kill', time.time() - t0)

    step('start() again, kill(), wait() -> 137')
    c.start()
    eventually(lambda: (c.reload(), c.status)[1] == 'running', 'running again', lambda: c.status)
    c.kill()
    r = c.wait(timeout=10)
    check(r['StatusCode'] == 137, 'wait() StatusCode after kill', r)
    c.reload()
    check(c.status == 'exited' and c.attrs['State']['ExitCode'] == 137, 'State after kill', c.attrs['State'])

    step('stop(timeout=1) of a process ignoring TERM kills it after 1s')
    s = client.containers.run('busybox', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'],
                              detach=True, network_mode='none', name='dp-stubborn')
    time.sleep(0.3)
    t0 = time.time()
    s.stop(timeout=1)
    took = time.time() - t0
    check(0.8 < took < 5, 'stop(timeout=1) took about a second', took)
    check(s.wait()['StatusCode'] == 137, 'StatusCode after stop timeout', s.wait())

    step('kill(signal=...), wait(condition=...)')
    k = client.containers.run('busybox', ['sh', '-c', 'trap "exit 9" USR1; while :; do sleep 0.1; done'],
                              detach=True, network_mode='none', name='dp-sig')
    time.sleep(0.3)
    k.kill(signal='SIGUSR1')
    check(k.wait(condition='not-running')['StatusCode'] == 9, 'USR1 trap exit code', None)
    w = client.containers.run('busybox', ['sh', '-c', 'exit 5'], detach=True, network_mode='none')
    check(w.wait()['StatusCode'] == 5, 'wait() on a short-lived container', None)

    step('remove(force=True) of running and exited containers')
    r = client.containers.run('busybox', ['sleep', '1000'], detach=True, network_mode='none',
                              name='dp-running')
    r.remove(force=True)
    for x in (c, s, k, w):
        x.remove(force=True)
    try:
        client.containers.get('dp-running')
        check(False, 'dp-running is gone after remove(force=True)')
    except docker.errors.NotFound:
        pass
    names = [x.name for x in client.containers.list(all=True)]
    check(names == [], 'no containers left', names)

    step('run(detach=True, remove=True) removes the container after it exits')
    a = client.containers.run('busybox', 'true', detach=True, remove=True, network_mode='none')

    def gone():
        try:
            a.reload()
            return False
        except docker.errors.NotFound:
            return True
    eventually(gone, 'auto-removed container disappears')


def test_images():
    step('images.list(), images.get(busybox)')
    imgs = client.images.list()
    tags = [t for i in imgs for t in i.tags]
    check('busybox:latest' in tags, 'images.list() has busybox:latest', tags)
    img = client.images.get('busybox')
    check(img.id.startswith('sha256:') and len(img.id) == 71, 'Image.id', img.id)
    check(img.tags == ['busybox:latest'], 'Image.tags', img.tags)
    check(img.short_id == img.id[:17], 'Image.short_id', img.short_id)
    check(img.attrs['Os'] == 'linux', 'Image.attrs[Os]', img.attrs.get('Os'))
    check(img.id in [i.id for i in imgs], 'images.list() ids include busybox', None)
    check(client.images.get(img.id).id == img.id, 'images.get(id)', None)
    check(client.images.get(img.short_id).id == img.id, 'images.get(short id)', None)
    try:
        client.images.get('nosuchimage')
        check(False, 'images.get(nosuchimage) raises ImageNotFound')
    except docker.errors.ImageNotFound as e:
        check(e.status_code == 404, 'ImageNotFound status', e.status_code)

    step("image.tag('busybox', 'mytag'), images.list(name=...), images.remove('busybox:mytag')")
    check(img.tag('busybox', 'mytag') is True, 'tag() returns True', None)
    img.reload()
    check(sorted(img.tags) == ['busybox:latest', 'busybox:mytag'], 'tags after tag()', img.tags)
    check(client.images.get('busybox:mytag').id == img.id, 'images.get(busybox:mytag)', None)
    check(img.tag('other/repo', tag='v1'), 'tag(other/repo, tag=v1)', None)
    got = [i.id for i in client.images.list(name='other/repo')]
    check(got == [img.id], 'images.list(name=other/repo)', got)
    client.images.remove('busybox:mytag')
    client.images.remove('other/repo:v1')
    img.reload()
    check(img.tags == ['busybox:latest'], 'tags after images.remove(busybox:mytag)', img.tags)
    try:
        client.images.remove('busybox:mytag')
        check(False, 'removing busybox:mytag twice raises ImageNotFound')
    except docker.errors.ImageNotFound:
        pass

    step('image.history()')
    h = img.history()
    check(isinstance(h, list) and len(h) >= 1, 'history() is a non-empty list', h)
    check(h[0]['Id'] == img.id, 'history()[0].Id is the image', h[0])
    check(all(k in h[0] for k in ('Created', 'CreatedBy', 'Tags', 'Size', 'Comment')),
          'history() entries have Created/CreatedBy/Tags/Size/Comment', h[0])

    step('image.save() chunks -> images.load(data)')
    data = b''.join(img.save(chunk_size=65536))
    check(data[257:262] == b'ustar', 'save() is a tar archive', data[257:262])
    loaded = client.images.load(data)
    check([i.id for i in loaded] == [img.id], 'images.load(save()) returns the image', loaded)

    step("image.save(named='saved:v1') -> remove the tag -> images.load(data) restores it")
    img.tag('saved', 'v1')
    img.reload()
    data = b''.join(img.save(named='saved:v1'))
    client.images.remove('saved:v1')
    try:
        client.images.get('saved:v1')
        check(False, 'saved:v1 is gone after images.remove(saved:v1)')
    except docker.errors.ImageNotFound:
        pass
    loaded = client.images.load(data)
    check(len(loaded) == 1 and loaded[0].id == img.id, 'images.load(named save) returns the image', loaded)
    check(sorted(loaded[0].tags) == ['busybox:latest', 'saved:v1'], 'the load restored saved:v1', loaded[0].tags)

    step('the loaded image runs')
    out = client.containers.run('saved:v1', ['echo', 'again'], remove=True, network_mode='none')
    check(out == b'again\n', 'run after load', out)
    client.images.remove('saved:v1')


def main():
    step('ping, version, info')
    check(client.ping() is True, 'ping() is True')
    v = client.version()
    check('ApiVersion' in v and 'Version' in v, 'version() has ApiVersion and Version', v)
    check('Containers' in client.info(), 'info() has Containers', None)
    test_run_remove()
    c = test_detached()
    test_exec(c)
    test_stop_wait_kill(c)
    test_images()
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
