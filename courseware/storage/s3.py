"""The `s3` media store: an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, ...) through boto3.

Objects are `<S3_PREFIX>ab/abcdef...`, each with the Content-Type it was first stored with and an immutable
Cache-Control. Credentials come the way every AWS tool finds them (environment, ~/.aws, instance role); the
settings name only the bucket, endpoint, region, prefix and addressing style.
"""
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import urlsplit

from .base import SHA256, MediaMissing, MediaStore, check_key, relative_name

DEFAULT_TYPE = "application/octet-stream"


class S3Store(MediaStore):
    name = "s3"

    def __init__(self, client, bucket: str, prefix: str = "", cache_control: str = ""):
        self.client, self.bucket, self.prefix, self.cache_control = client, bucket, prefix, cache_control

    @classmethod
    def from_config(cls, config, cache_control: str = "") -> "S3Store":
        import boto3
        from botocore.config import Config

        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ValueError("MEDIA_BACKEND is s3 but S3_BUCKET (COURSEWARE_S3_BUCKET) is not set")
        endpoint = config.get("S3_ENDPOINT_URL") or None
        # Path-style URLs (endpoint/bucket/key) are what self-hosted stores (MinIO, Ceph, a local test server)
        # understand; AWS itself gets botocore's default.
        style = config.get("S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=config.get("S3_REGION") or None,
            # One client for all of the process's threads (boto3 clients are thread-safe); a pool for as many
            # requests streaming at once as a busy app server has threads.
            config=Config(s3={"addressing_style": style}, signature_version="s3v4", connect_timeout=5,
                          read_timeout=60, retries={"max_attempts": 4, "mode": "standard"},
                          max_pool_connections=64),
        )
        prefix = (config.get("S3_PREFIX") or "").lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(client, bucket, prefix, cache_control)

    def prepare(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise RuntimeError(f"The media bucket {self.bucket!r} cannot be reached: {error}") from error

    def key(self, sha256: str) -> str:
        return self.prefix + relative_name(check_key(sha256))

    def put(self, sha256: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        if self.exists(sha256):  # content-addressed: the same key holds the same bytes
            return
        extra = {"ContentType": content_type or DEFAULT_TYPE, "CacheControl": self.cache_control}
        if isinstance(data, (bytes, bytearray, memoryview)):
            self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=bytes(data), **extra)
        else:  # a file: in parts when it is large; S3 shows an object only once its upload completed
            self.client.upload_fileobj(data, self.bucket, self.key(sha256), ExtraArgs=extra)

    def _head(self, sha256: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def size(self, sha256: str) -> int | None:
        head = self._head(sha256)
        return None if head is None else head["ContentLength"]

    def open(self, sha256: str) -> BinaryIO:
        return self.open_sized(sha256)[0]

    def open_sized(self, sha256: str) -> tuple[BinaryIO, int]:
        from botocore.exceptions import ClientError

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
            return found["Body"], found["ContentLength"]
        except ClientError as error:
            if _status(error) == 404 or error.response.get("Error", {}).get("Code") == "NoSuchKey":
                raise MediaMissing(sha256) from error
            raise

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def keys(self) -> Iterator[str]:
        for sha256, _size in self.listing():
            yield sha256

    def listing(self) -> Iterator[tuple[str, int]]:
        found = []  # one LIST request per 1000 objects, sizes included
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                folder, _, sha256 = name.partition("/")
                if SHA256.fullmatch(sha256) and folder == sha256[:2]:
                    found.append((sha256, item["Size"]))
        yield from sorted(found)

    def download_url(self, sha256: str, *, content_type: str, cache_control: str, disposition: str | None,
                     expires: int) -> str | None:
        # The response-* parameters make S3 answer with the headers the app would send, whatever the object was
        # stored with (the same bytes may be one course's .png and another's download).
        params = {"Bucket": self.bucket, "Key": self.key(sha256), "ResponseContentType": content_type,
                  "ResponseCacheControl": cache_control}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def redirect_origin(self) -> str | None:
        url = self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": self.prefix + "x"},
                                                 ExpiresIn=60)
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def _status(error) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
