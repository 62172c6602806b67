module "bucket" {
  source = "../../modules/s3-bucket"

  bucket_name                        = var.bucket_name
  tags                               = var.tags
  versioning_enabled                 = var.versioning_enabled
  sse_algorithm                      = var.sse_algorithm
  kms_key_alias                      = var.kms_key_alias
  public_access_blocked              = var.public_access_blocked
  access_log_bucket                  = var.access_log_bucket
  access_log_prefix                  = var.access_log_prefix
  lifecycle_transitions              = var.lifecycle_transitions
  expiration_days                    = var.expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  cost_alert_gb                      = var.cost_alert_gb
  cost_alarm_storage_types           = var.cost_alarm_storage_types
  cors_allowed_origins               = var.cors_allowed_origins
  alarm_description = format(
    "%s: %s (%s, %s, storage class %s) of %s stores more than %s GiB.",
    var.request_id, var.bucket_name, var.environment, var.purpose, var.storage_class, var.owner, var.cost_alert_gb,
  )
}

resource "aws_iam_policy" "app" {
  name        = "bucketwise-${var.bucket_name}"
  description = "Least-privilege access of ${var.application} to ${var.bucket_name} (request ${var.request_id})."
  policy      = var.app_policy_json
  tags        = var.tags

  # Made only once the bucket and its settings exist: the policy's text is known before the bucket, so
  # without this Terraform creates it alongside, and a bucket that cannot be made (its name is another
  # account's) would leave a policy behind in the state (docs/decisions/runner-abandon-failed-requests.md).
  depends_on = [module.bucket]
}
