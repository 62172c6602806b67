"""Throughput of the checksum validator against moto server; prints JSON.

- objects_per_second: validator handler on single-part objects decided by S3 checksums (no reading);
- stream bytes_per_second: the streaming SHA-256 path vs a bare download of the same object through the same
  endpoint hashed as it arrives (boto3 get_object, 1 MiB chunks into hashlib.sha256): the real ceiling for
  any streaming compare, since both pay for the transfer.
Run: .venv/bin/python bench/bench_checksum_validator.py [--small] [--objects 50] [--mib 32] [--rounds 5]
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from moto.server import ThreadedMotoServer


def start_moto() -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    return server


def make_pair(s3, primary: str, replica: str) -> None:
    for bucket in (primary, replica):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})


def bench_checksum_path(s3, objects: int) -> dict:
    from lambdas.checksum_validator.handler import handler

    make_pair(s3, "bench-primary", "bench-replica")
    os.environ["REPLICA_MAP"] = json.dumps(
        {"bench-primary": {"bucket": "bench-replica", "region": "eu-west-1"}}
    )
    os.environ["FAILURE_QUEUE_URL"] = "unused-when-all-verify"
    records = []
    for number in range(objects):
        body = f"object {number}".encode() * 100
        for bucket in ("bench-primary", "bench-replica"):
            s3.put_object(Bucket=bucket, Key=f"k/{number}", Body=body, ChecksumAlgorithm="SHA256")
        event = {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "bench-primary"}, "object": {"key": f"k/{number}"}},
                }
            ]
        }
        records.append({"messageId": str(number), "body": json.dumps(event), "attributes": {}})
    started = time.perf_counter()
    for start in range(0, objects, 10):
        assert handler({"Records": records[start : start + 10]}, None) == {"batchItemFailures": []}
    elapsed = time.perf_counter() - started
    return {
        "objects": objects,
        "seconds": round(elapsed, 3),
        "objects_per_second": round(objects / elapsed, 1),
    }


def bench_stream_path(s3, mib: int, rounds: int) -> dict:
    """Both paths read the same object through the same endpoint, alternating, after one warm-up each (the
    first request of a client pays its connection set-up); medians of ``rounds``."""
    from lambdas.checksum_validator.validator import FoundObject, stream_sha256

    body = os.urandom(mib * 1024 * 1024)
    s3.put_object(Bucket="bench-primary", Key="big", Body=body)
    found = FoundObject(bucket="bench-primary", key="big", version_id=None, facts=None)

    def streamed() -> float:
        started = time.perf_counter()
        digest, read = stream_sha256(None, found)
        assert digest == expected and read == len(body)
        return time.perf_counter() - started

    def bare() -> float:
        started = time.perf_counter()
        digest = hashlib.sha256()
        for chunk in s3.get_object(Bucket="bench-primary", Key="big")["Body"].iter_chunks(1024 * 1024):
            digest.update(chunk)
        assert digest.hexdigest() == expected
        return time.perf_counter() - started

    expected = hashlib.sha256(body).hexdigest()
    streamed(), bare()
    stream_times, bare_times = [], []
    for _ in range(rounds):
        stream_times.append(streamed())
        bare_times.append(bare())
    stream_median, bare_median = statistics.median(stream_times), statistics.median(bare_times)
    return {
        "bytes": len(body),
        "rounds": rounds,
        "stream_bytes_per_second": round(len(body) / stream_median),
        "bare_download_sha256_bytes_per_second": round(len(body) / bare_median),
        "stream_fraction_of_ceiling": round(bare_median / stream_median, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=50)
    parser.add_argument("--mib", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="10 objects, 8 MiB, 3 rounds")
    arguments = parser.parse_args()
    if arguments.small:
        arguments.objects, arguments.mib, arguments.rounds = 10, 8, 3
    server = start_moto()
    try:
        s3 = boto3.client("s3", region_name="eu-west-1")
        result = {
            "checksum_path": bench_checksum_path(s3, arguments.objects),
            "stream_path": bench_stream_path(s3, arguments.mib, arguments.rounds),
        }
    finally:
        server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
