# A provider-free twin of terraform/stacks/s3-request for the runner's tests: only the
# built-in provider (terraform_data) and Terraform core (local-exec), nothing to download.
# See docs/decisions/runner-fake-stack.md.

locals {
  bucket_arn = "arn:aws:s3:::${var.bucket_name}"
}

# Each stand-in says in `stands_for` which AWS resource type it stands for: the runner's
# destroy protection (runner/plan_changes.py) judges the twin's plans like the real stack's.
resource "terraform_data" "bucket" {
  input = {
    stands_for            = "aws_s3_bucket"
    bucket_name           = var.bucket_name
    versioning_enabled    = var.versioning_enabled
    sse_algorithm         = var.sse_algorithm
    kms_key_alias         = var.kms_key_alias
    public_access_blocked = var.public_access_blocked
    cost_alert_gb         = var.cost_alert_gb
    tags                  = var.tags
  }

  # Like aws_s3_bucket, a new name is a new bucket: renaming plans a replace (which the runner refuses).
  triggers_replace = [var.bucket_name]

  lifecycle {
    # The rules of terraform/modules/s3-bucket/variables.tf, as preconditions here.
    precondition {
      condition     = var.cost_alert_gb > 0
      error_message = "The cost_alert_gb must be positive."
    }
    precondition {
      condition     = (var.sse_algorithm == "aws:kms") == (var.kms_key_alias != null)
      error_message = "The kms_key_alias must be set exactly when sse_algorithm is aws:kms."
    }
  }

  # Tests that cancel or kill a run mid-apply make it slow through the worker's
  # environment; unset, the apply does not wait.
  provisioner "local-exec" {
    command = "sleep \"$${BUCKETWISE_FAKE_APPLY_SECONDS:-0}\""
  }
}

resource "terraform_data" "app_policy" {
  input = {
    stands_for = "aws_iam_policy"
    name       = "bucketwise-${var.bucket_name}"
    policy     = var.app_policy_json
  }
}
