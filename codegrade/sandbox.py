# terse code sandbox: the first Python code run inside the sandbox process
# (see sandbox.go). It reads its job from fd 3, isolates the file system when
# asked, sets the resource limits, drops every capability, writes "R" to the
# result fd to say the sandbox is ready, and only then runs the untrusted
# program. Standard library only; it must start fast.
import json
import os
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
EXIT_MEMORY = 86  # the program raised MemoryError (sandbox.go: exitMemory)
EXIT_SETUP = 87  # the sandbox could not be set up (sandbox.go: exitSetup)
HIDE = ("/home", "/root", "/run", "/var/tmp", "/dev/shm", "/mnt", "/media", "/srv", "/opt")


def read_frame(f):
    """One stdin case's input from the job stream: 8-byte length, bytes."""
    n = int.from_bytes(f.read(8), "big")
    data = f.read(n)
    if len(data) != n:
        raise EOFError("job stream ended inside a case input")
    return data


def feed_stdin(data):
    """Make fd 0 a pipe that a thread fills with data, so input(), sys.stdin,
    open(0) and os.read(0) all see the case's input; the thread ends when the
    data is written or the read end closes."""
    import threading

    r, w = os.pipe()
    if r != 0:
        os.dup2(r, 0)
        os.close(r)

    def write():
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(w, view):]
        except OSError:
            pass
        finally:
            os.close(w)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def isolate(libc, ctypes, work_bytes):
    """Read-only file system, hidden home/run/tmp directories, a fresh
    size-capped tmpfs at /tmp as the only writable place, a private /proc."""

    def mount(src, target, fstype, flags, data=None):
        enc = lambda s: s.encode() if s is not None else None
        if libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "mount %s: %s" % (target, os.strerror(e)))

    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates to the host
    keep = [os.path.realpath(p) for p in {sys.base_prefix, sys.prefix, os.path.dirname(sys.executable)}]
    for d in HIDE:
        if not os.path.isdir(d) or os.path.islink(d):
            continue
        inside = [k for k in keep if k == d or k.startswith(d + "/")]
        fds = [os.open(k, os.O_PATH | os.O_DIRECTORY) for k in inside]
        mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        for k, fd in zip(inside, fds):  # the interpreter stays visible
            os.makedirs(k, exist_ok=True)
            mount("/proc/self/fd/%d" % fd, k, None, MS_BIND | MS_REC)
            os.close(fd)

    class MountAttr(ctypes.Structure):
        _fields_ = [("set", ctypes.c_uint64), ("clr", ctypes.c_uint64), ("prop", ctypes.c_uint64), ("userns", ctypes.c_uint64)]

    attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "mount_setattr / read-only (needs Linux >= 5.12): %s" % os.strerror(e))
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,mode=700" % work_bytes)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        return "host"  # the host's /proc stays visible (read-only); sandbox.go reports it
    return "private"


def drop_capabilities(libc, ctypes):
    """Empty the bounding set (so no exec can regain a capability) and clear
    the effective, permitted and inheritable sets of this process."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    if libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "capset: %s" % os.strerror(e))


def set_limits(lim):
    for name, value in (
        ("RLIMIT_AS", lim["address_space"]),
        ("RLIMIT_FSIZE", lim["file_size"]),
        ("RLIMIT_NOFILE", lim["open_files"]),
        ("RLIMIT_NPROC", lim["processes"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))
    # The CPU limit signals SIGXCPU at the soft limit, which the grader reads
    # as a timeout; the hard limit one second later is the kernel's SIGKILL
    # backstop. With soft == hard the kernel sends only SIGKILL, and telling
    # that kill apart from others rested on the rusage CPU time, which can
    # read tens of milliseconds short of the limit on a loaded machine.
    cpu = lim["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def main():
    stream = os.fdopen(3, "rb")
    job = json.loads(stream.readline())  # stdin case inputs follow as frames
    if job["mode"] != "stdin_cases":
        stream.close()
    job["stream"] = stream
    out = job["result_fd"]
    proc = "host"
    try:
        if job["isolate"]:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            proc = isolate(libc, ctypes, job["limits"]["work_bytes"])
            os.chdir("/tmp")
        else:
            os.chdir(job["workdir"])
            if os.geteuid() == 0:  # unsafe mode as root: at least not root
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
        sys.setrecursionlimit(job.get("recursion_limit", 1000))
        if job["mode"] != "stdin":  # results go to a descriptor the program does not know
            os.dup2(out, job["private_fd"])
            os.close(out)
            out = job["private_fd"]
        set_limits(job["limits"])
        if job["isolate"]:
            drop_capabilities(libc, ctypes)
    except Exception as e:  # noqa: BLE001 — any failure here refuses the run
        sys.stderr.write("terse-sandbox: setup: %s\n" % e)
        sys.stderr.flush()
        os._exit(EXIT_SETUP)
    os.write(out, b"R proc=%s\n" % proc.encode())
    os.environ.clear()
    os.environ.update(job["env"])
    code = job["program"]
    sys.argv = ["solution.py"]
    try:
        if job["mode"] == "stdin":
            os.close(out)
            g = {"__name__": "__main__", "__builtins__": __builtins__}
            exec(compile(code, "solution.py", "exec"), g)
        elif job["mode"] == "stdin_cases":
            run_stdin_cases(job, code, out)
        else:
            run_function_cases(job, code, out)
    except MemoryError:
        os.write(2, b"MemoryError\n")
        os._exit(EXIT_MEMORY)
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001 — the program's own error
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()


class CaseTimeout(BaseException):
    pass


def run_stdin_cases(job, code, out):
    """Run the program once per stdin case in this interpreter, each run
    with fresh globals, its input on fd 0 (a pipe) and its output captured
    from fd 1 (a file in the sandbox's /tmp), so input(), sys.stdin, open(0)
    and os.write(1) all behave as in a process of its own. Inputs arrive one
    at a time on the job stream, so only one is held in memory. One line per case to
    the result fd: "<nonce> {json}" with the output base64-encoded; the
    grader compares it. Stops after the first case that fails to run."""
    import base64
    import errno
    import signal
    import time

    nonce = job["nonce"].encode()
    cap = job["output_cap"]

    def report(d):
        os.write(out, nonce + b" " + json.dumps(d).encode() + b"\n")

    def on_alarm(signum, frame):
        raise CaseTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    try:
        compiled = compile(code, "solution.py", "exec")
    except BaseException as e:  # noqa: BLE001 — a syntax error fails every case
        report({"i": 0, "status": "load_error", "error": "%s: %s" % (type(e).__name__, e)})
        return
    out_path = "/tmp/.terse-stdout" if job["isolate"] else os.path.join(job["workdir"], ".terse-stdout")
    feeder = None
    for i in range(len(job["cases"])):
        data = read_frame(job["stream"])
        if feeder is not None:
            feeder.join(1)
        feeder = feed_stdin(data)
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if fd != 1:  # the program may have closed fd 1
            os.dup2(fd, 1)
            os.close(fd)
        sys.stdin = open(0, "r", encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        result = {"i": i, "status": "ok"}
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, job["case_seconds"])
        try:
            exec(compiled, {"__name__": "__main__", "__builtins__": __builtins__})
        except CaseTimeout:
            result = {"i": i, "status": "timeout"}
        except MemoryError:
            result = {"i": i, "status": "memory"}
        except SystemExit as e:
            if e.code not in (None, 0):
                result = {"i": i, "status": "error", "error": "SystemExit: %s" % e.code}
        except OSError as e:
            status = "output" if e.errno == errno.EFBIG and os.path.getsize(out_path) >= cap else "error"
            result = {"i": i, "status": status, "error": "%s: %s" % (type(e).__name__, e)}
        except BaseException as e:  # noqa: BLE001
            result = {"i": i, "status": "error", "error": "%s: %s" % (type(e).__name__, e)}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            try:
                sys.stdout.flush()
            except (OSError, ValueError) as e:
                if result["status"] == "ok":
                    result = {"i": i, "status": "output" if getattr(e, "errno", 0) == errno.EFBIG else "error", "error": str(e)}
        result["ms"] = round((time.perf_counter() - start) * 1000, 3)
        size = os.path.getsize(out_path)
        if size > cap:
            result = {"i": i, "status": "output", "ms": result["ms"]}
        elif result["status"] == "ok":
            with open(out_path, "rb") as f:
                result["out"] = base64.b64encode(f.read()).decode()
        try:
            os.close(0)  # ends the feeder if the program left input unread
        except OSError:
            pass  # the program closed it (open(0) closes fd 0 when collected)
        report(result)
        if result["status"] != "ok" and job["stop_on_failure"]:
            return


def run_function_cases(job, code, out):
    """Run each function-style case in turn; one line per case to the result
    fd: "<nonce> {json}". Stops after the first failing case when asked."""
    import signal
    import time

    nonce = job["nonce"].encode()

    def report(d):
        os.write(out, nonce + b" " + json.dumps(d).encode() + b"\n")

    def on_alarm(signum, frame):
        raise CaseTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    g = {"__name__": "__solution__", "__builtins__": __builtins__}
    try:
        exec(compile(code, "solution.py", "exec"), g)
    except MemoryError:
        raise
    except BaseException as e:  # noqa: BLE001
        report({"i": 0, "status": "load_error", "error": "%s: %s" % (type(e).__name__, e)})
        return
    entry = job.get("entry_point") or ""
    target = None
    if entry:
        sol = g.get("Solution")
        if isinstance(sol, type) and hasattr(sol, entry):
            target = getattr(sol(), entry)
        else:
            target = g.get(entry)
    for i, case in enumerate(job["cases"]):
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, job["case_seconds"])
        try:
            if case.get("assert"):
                exec(compile(case["assert"], "test_%d.py" % i, "exec"), g)
                result = {"i": i, "status": "ok"}
            else:
                if target is None:
                    raise NameError("entry point %r is not defined" % entry)
                args = [json.loads(line) for line in case.get("input", "").split("\n") if line.strip()]
                value = target(*args)
                if isinstance(value, tuple):
                    value = list(value)
                try:
                    encoded = json.dumps(value)
                except (TypeError, ValueError) as e:
                    result = {"i": i, "status": "wrong", "error": "result is not JSON: %s" % e}
                else:
                    result = {"i": i, "status": "ok", "value": encoded}
        except CaseTimeout:
            result = {"i": i, "status": "timeout"}
        except AssertionError as e:
            result = {"i": i, "status": "wrong", "error": "AssertionError: %s" % e}
        except MemoryError:
            result = {"i": i, "status": "memory"}
        except SystemExit as e:
            result = {"i": i, "status": "error", "error": "SystemExit: %s" % e}
        except BaseException as e:  # noqa: BLE001
            result = {"i": i, "status": "error", "error": "%s: %s" % (type(e).__name__, e)}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result["ms"] = round((time.perf_counter() - start) * 1000, 3)
        report(result)
        if result["status"] != "ok" and job["stop_on_failure"]:
            return


main()
