terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  # Like the real stack: a partial S3 backend. The runner overrides it with a
  # backend_override.tf.json (local state by default, S3 when a state bucket is set).
  backend "s3" {}
}
