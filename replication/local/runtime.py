"""Run the local pipeline's functions: one event source mapping thread per (function, queue).

Each function's environment is its stack configuration; the two functions share one process,
so their environments are merged (no variable differs between them). Django-free.
"""

from __future__ import annotations

import os
import threading

import boto3

from replication.local.description import LocalPipeline
from replication.local.event_source import EventSourceMapping, load_handler


def start_functions(
    pipeline: LocalPipeline, endpoint: str, queue_urls: dict[str, str], stop: threading.Event
) -> list[threading.Thread]:
    functions = pipeline.functions(queue_urls)
    for function in functions:
        os.environ.update(function.environment)
    # The Lambda runtime's region; boto3 in the handlers reaches the local AWS through AWS_ENDPOINT_URL.
    os.environ.update(
        AWS_DEFAULT_REGION=pipeline.primary_region,
        AWS_REGION=pipeline.primary_region,
        AWS_ENDPOINT_URL=endpoint,
    )
    sqs = boto3.client("sqs", region_name=pipeline.primary_region, endpoint_url=endpoint)
    threads = []
    for function in functions:
        handler = load_handler(function.handler)
        for queue in function.queues:
            mapping = EventSourceMapping(
                sqs=sqs,
                function_name=function.name,
                handler=handler,
                queue_url=queue_urls[queue],
                queue_arn=pipeline.queue_arn(queue),
                region=pipeline.primary_region,
                batch_size=function.batch_size,
            )
            thread = threading.Thread(
                target=mapping.run, args=(stop,), name=f"{function.name}<-{queue}", daemon=True
            )
            thread.start()
            threads.append(thread)
    return threads
