"""
Files benchmark (issue 9, SPEC 16): a large file through the service against
the same bytes to and from the disk directly, and the service's memory while
many uploads run at once.

    python -m tests.bench.bench_files [--megabytes M] [--rounds R] [--parallel P]

(``scripts/bench files`` prepares the machine and the virtualenv, then runs it.)

One Prosody and one ``twistd imsupport`` on SQLite, its files under a temp
directory on the same disk as the baseline's. A client asks the component
for XEP-0363 slots over XMPP and PUTs / GETs over HTTP on loopback, as IM
clients do.

- upload: PUT of an M MB file to its slot until the service has answered
  (the bytes are then on disk: written, fsynced and renamed); baseline:
  writing the same bytes to a file in the same directory with one fsync.
- download: GET of the file's /f/ link, read to the end; baseline: reading
  the same file from the disk (from the page cache, as the service's read
  mostly is). Best of R rounds each, MB/s and the ratio service / disk.
- memory: the service's resident set (VmRSS from /proc) sampled every 20 ms
  while P uploads of M MB each (all different bytes) run at once; its rise
  over the idle figure, against P x M MB if the service buffered whole files.

Not a test: it prints figures and asserts nothing about them.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import http.client
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from tests.bench.bench_relay import Bench, BenchError, _stop_service, runBench, say
from tests.bench.fastclient import FastClient
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url

MB = 1_000_000
CHUNK = 1 << 20  # what the client sends at a time
NS_UPLOAD = "urn:xmpp:http:upload:0"


@dataclass
class Figures:
    megabytes: int
    upload_s: float
    write_s: float
    download_s: float
    read_s: float
    idle_rss: int  # bytes
    peak_rss: int
    parallel: int
    parallel_s: float


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench_files", description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=20, help="file size (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (best counts)")
    parser.add_argument("--parallel", type=int, default=20,
                        help="uploads at once for the memory figure (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and its logs")
    return parser.parse_args(argv)


def content(megabytes: int, mark: int) -> Iterator[bytes]:
    """``megabytes`` of bytes, different for every ``mark``, made as sent."""
    block = os.urandom(CHUNK)
    left = megabytes * MB
    n = 0
    while left > 0:
        piece = (mark.to_bytes(4, "big") + n.to_bytes(4, "big") + block[8:])[:min(CHUNK, left)]
        left -= len(piece)
        n += 1
        yield piece


def rss(pid: int, field_name: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no {field_name} for process {pid}")


def put(url: str, megabytes: int, mark: int, content_type: str) -> float:
    """PUT the bytes; seconds until the service answered 201."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120,
                                            blocksize=CHUNK)
    started = time.perf_counter()
    connection.request("PUT", parts.path, body=content(megabytes, mark),
                       headers={"Content-Length": str(megabytes * MB),
                                "Content-Type": content_type})
    response = connection.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 201:
        raise BenchError(f"PUT {url}: {response.status} {answer[:300]!r}")
    return elapsed


def get(url: str, expected: int) -> float:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", parts.path)
    response = connection.getresponse()
    got = 0
    while chunk := response.read(CHUNK):
        got += len(chunk)
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 200 or got != expected:
        raise BenchError(f"GET {url}: {response.status}, {got} of {expected} bytes")
    return elapsed


def disk_write(folder: Path, megabytes: int, mark: int) -> float:
    path = folder / f"direct-{mark}"
    started = time.perf_counter()
    with open(path, "wb") as out:
        for piece in content(megabytes, mark):
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - started


def disk_read(folder: Path, mark: int) -> float:
    started = time.perf_counter()
    with open(folder / f"direct-{mark}", "rb") as f:
        while f.read(CHUNK):
            pass
    return time.perf_counter() - started


async def slot(client: FastClient, service_domain: str, name: str, size: int,
               content_type: str) -> tuple[str, str]:
    answer = await client.iq(
        "get", f"<request xmlns='{NS_UPLOAD}' filename={quoteattr(name)} size='{size}' "
               f"content-type={quoteattr(content_type)}/>", to=service_domain)
    if answer.attrs.get("type") != "result" or "put" not in answer.urls:
        raise BenchError(f"no slot for {name}: {answer}")
    return answer.urls["put"], answer.urls["get"]


async def run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> Figures:
    bench = Bench(argparse.Namespace(chats=1, rounds=1, messages=2, keep=args.keep), cleanup)
    prosody = bench.start_prosody()
    workdir = bench.tmp / "imsupport"
    workdir.mkdir()
    size = args.megabytes * MB
    config = make_config(
        prosody, free_port(), sqlite_url(workdir / "bench.sqlite"), workdir=workdir,
        web_toml=f"max_upload_bytes = {size}\n"
                 f"upload_bytes_per_day = {size * (args.parallel + args.rounds + 2)}\n")
    service = ImsupportProcess(config, workdir, ready_timeout=30)
    cleanup.callback(_stop_service, service)
    service.start()
    pid = service.pid
    assert pid is not None
    [client] = await bench.accounts_online("uploader", 1)
    domain = prosody.component
    loop = asyncio.get_running_loop()
    direct = bench.tmp / "direct"
    direct.mkdir()

    uploads, downloads, writes, reads = [], [], [], []
    for n in range(args.rounds):
        put_url, get_url = await slot(client, domain, f"round{n}.bin", size,
                                      "application/octet-stream")
        uploads.append(await loop.run_in_executor(None, put, put_url, args.megabytes, n,
                                                  "application/octet-stream"))
        downloads.append(await loop.run_in_executor(None, get, get_url, size))
        writes.append(await loop.run_in_executor(None, disk_write, direct, args.megabytes, n))
        reads.append(await loop.run_in_executor(None, disk_read, direct, n))
        say(f"round {n + 1}: PUT {uploads[-1]:.3f} s, GET {downloads[-1]:.3f} s, "
            f"disk write {writes[-1]:.3f} s, disk read {reads[-1]:.3f} s")

    await asyncio.sleep(1.0)
    idle = rss(pid)
    slots = [await slot(client, domain, f"parallel{i}.bin", size, "application/octet-stream")
             for i in range(args.parallel)]
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError, BenchError):
                peak[0] = max(peak[0], rss(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        work = [loop.run_in_executor(pool, put, put_url, args.megabytes, 1000 + i,
                                     "application/octet-stream")
                for i, (put_url, _) in enumerate(slots)]
        await asyncio.gather(*work)
    parallel_s = time.perf_counter() - started
    done.set()
    sampler.join()
    await bench.close_clients([client])
    return Figures(args.megabytes, min(uploads), min(writes), min(downloads), min(reads),
                   idle, peak[0], args.parallel, parallel_s)


def report(f: Figures) -> str:
    def rate(seconds: float) -> float:
        return f.megabytes / seconds if seconds > 0 else 0.0

    rise = (f.peak_rss - f.idle_rss) / MB
    buffered = f.parallel * f.megabytes
    return "\n".join([
        f"files benchmark: {f.megabytes} MB file, best of the rounds",
        f"  upload   service {rate(f.upload_s):8.1f} MB/s   disk write {rate(f.write_s):8.1f} MB/s"
        f"   ratio {f.write_s / f.upload_s:.2f}",
        f"  download service {rate(f.download_s):8.1f} MB/s   disk read  {rate(f.read_s):8.1f} MB/s"
        f"   ratio {f.read_s / f.download_s:.2f}",
        f"  {f.parallel} uploads of {f.megabytes} MB at once: {f.parallel_s:.1f} s "
        f"({f.parallel * f.megabytes / f.parallel_s:.1f} MB/s in all)",
        f"  service memory: idle {f.idle_rss / MB:.1f} MB, peak {f.peak_rss / MB:.1f} MB, "
        f"rise {rise:.1f} MB (buffering the files would be {buffered} MB)",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    figures = runBench(run, parse_args(argv))
    if isinstance(figures, int):
        return figures
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
