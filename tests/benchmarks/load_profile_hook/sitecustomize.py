"""cProfile in the load benchmark's app workers, when OPEX_LOAD_PROFILE names a folder (bench_load.py --profile).

Put on the app's PYTHONPATH by load_server.start only then. Each process forked from the supervisor (a granian
worker) profiles its main thread, the one running the event loop, so event handlers, state (de)serialisation and
everything else done on the loop are counted; work sent to threads (asyncio.to_thread) is not. SIGUSR1 writes
`worker-<pid>.prof` into the folder (read it with pstats).
"""

import os

if os.environ.get("OPEX_LOAD_PROFILE"):
    import cProfile
    import signal

    def _profile_this_worker() -> None:
        profiler = cProfile.Profile()
        folder = os.environ["OPEX_LOAD_PROFILE"]

        def dump(signum: int, frame: object) -> None:
            profiler.disable()
            profiler.dump_stats(os.path.join(folder, f"worker-{os.getpid()}.prof"))
            profiler.enable()

        signal.signal(signal.SIGUSR1, dump)
        profiler.enable()

    os.register_at_fork(after_in_child=_profile_this_worker)
