"""A local S3-compatible server for the media store's tests (tests/test_media_s3.py): moto in server mode on
127.0.0.1 and a free port, once per test session, with fake credentials; a fresh bucket per test."""
import logging
import os
import uuid

import pytest


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a moto S3 server running in a thread for the whole session."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in FAKE_ENVIRONMENT}
    os.environ.update(FAKE_ENVIRONMENT)  # boto3 reads credentials from the environment, never ~/.aws here
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    log = logging.getLogger("werkzeug")  # the server's request lines (the app's own requests do not go there)
    level = log.level
    log.setLevel(logging.WARNING)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    log.setLevel(level)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def s3_client(endpoint: str):
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")


def new_bucket(endpoint: str) -> str:
    name = f"courseware-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, **more) -> dict:
    """The settings of an instance whose media is in `bucket` under the prefix media/."""
    return {"MEDIA_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
            "S3_PREFIX": "media", **more}


def bucket_objects(endpoint: str, bucket: str) -> dict[str, dict]:
    """Every object of the bucket: key -> {"body", "type", "cache"}."""
    client, found = s3_client(endpoint), {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            got = client.get_object(Bucket=bucket, Key=item["Key"])
            found[item["Key"]] = {"body": got["Body"].read(), "type": got["ContentType"],
                                  "cache": got.get("CacheControl")}
    return found
