"""The object store: S3 client, every key and file name, the raw zone and curated partitions."""
