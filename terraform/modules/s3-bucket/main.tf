locals {
  bytes_per_gib = 1024 * 1024 * 1024

  # The retention rule only exists when it has at least one action: S3 rejects empty rules.
  has_retention_actions = (
    length(var.lifecycle_transitions) > 0
    || var.expiration_days != null
    || (var.versioning_enabled && var.noncurrent_version_expiration_days != null)
  )
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a separate opt-in stack (terraform/stacks/replication-validation), not a property of every bucket.
  #checkov:skip=CKV2_AWS_62:Event notifications are added by the replication stack where needed; most requested buckets need none.
  bucket = var.bucket_name
  tags   = var.tags

  # A bucket holds data: Terraform refuses any plan that destroys it (the runner refuses such
  # plans too, on its own: runner/plan_changes.py). Removing a bucket is a manual, reviewed act.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = var.public_access_blocked
  block_public_policy     = var.public_access_blocked
  ignore_public_acls      = var.public_access_blocked
  restrict_public_buckets = var.public_access_blocked
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    # Suspended (not Disabled) so that turning versioning off later is a valid update.
    status = var.versioning_enabled ? "Enabled" : "Suspended"
  }
}

data "aws_kms_alias" "bucket_key" {
  count = var.kms_key_alias == null ? 0 : 1
  name  = var.kms_key_alias
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = var.sse_algorithm
      # The key ARN, not the alias: an alias would be resolved in the caller's account at write time.
      kms_master_key_id = var.kms_key_alias == null ? null : data.aws_kms_alias.bucket_key[0].target_key_arn
    }
    bucket_key_enabled = var.sse_algorithm == "aws:kms"
  }
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = var.access_log_prefix
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = local.has_retention_actions ? ["retention"] : []

    content {
      id     = rule.value
      status = "Enabled"

      filter {}

      dynamic "transition" {
        for_each = var.lifecycle_transitions

        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "expiration" {
        for_each = var.expiration_days == null ? [] : [var.expiration_days]

        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = var.versioning_enabled && var.noncurrent_version_expiration_days != null ? [var.noncurrent_version_expiration_days] : []

        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }
    }
  }

  # Lifecycle rules on a versioned bucket must follow the versioning configuration.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # S3 rejects concurrent configuration changes on one bucket; the policy goes after the public access block.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_cors_configuration" "this" {
  count  = length(var.cors_allowed_origins) == 0 ? 0 : 1
  bucket = aws_s3_bucket.this.id

  cors_rule {
    allowed_origins = var.cors_allowed_origins
    allowed_methods = ["GET", "HEAD", "PUT"]
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

resource "aws_cloudwatch_metric_alarm" "cost" {
  alarm_name          = "s3-cost-alert-${var.bucket_name}"
  alarm_description   = var.alarm_description
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = var.cost_alert_gb * local.bytes_per_gib
  # S3 reports storage metrics once a day and not at all for an empty bucket.
  treat_missing_data = "notBreaching"
  tags               = var.tags

  dynamic "metric_query" {
    for_each = var.cost_alarm_storage_types

    content {
      id          = "storage${metric_query.key}"
      return_data = false

      metric {
        namespace   = "AWS/S3"
        metric_name = "BucketSizeBytes"
        period      = 86400
        stat        = "Average"
        dimensions = {
          BucketName  = aws_s3_bucket.this.id
          StorageType = metric_query.value
        }
      }
    }
  }

  metric_query {
    id          = "total_bytes"
    label       = "Bytes stored across ${join(", ", var.cost_alarm_storage_types)}"
    expression  = "SUM(METRICS())"
    return_data = true
  }
}
