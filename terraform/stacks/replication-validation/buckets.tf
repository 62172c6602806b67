# One primary/replica pair per data category, with identical protection on both sides.

module "primary_bucket_config" {
  source   = "./bucket-baseline"
  for_each = local.primary_bucket_names

  bucket                        = each.value
  kms_key_arn                   = aws_kms_key.primary_data.arn
  noncurrent_to_glacier_ir_days = var.noncurrent_to_glacier_ir_days
  noncurrent_expiry_days        = var.noncurrent_expiry_days
}

module "replica_bucket_config" {
  source   = "./bucket-baseline"
  for_each = local.replica_bucket_names
  providers = {
    aws = aws.replica
  }

  bucket                        = each.value
  kms_key_arn                   = aws_kms_key.replica_data.arn
  noncurrent_to_glacier_ir_days = var.noncurrent_to_glacier_ir_days
  noncurrent_expiry_days        = var.noncurrent_expiry_days
}

resource "aws_s3_bucket_notification" "primary_to_eventbridge" {
  for_each = local.primary_bucket_names

  bucket      = module.primary_bucket_config[each.key].bucket_id
  eventbridge = true
}
