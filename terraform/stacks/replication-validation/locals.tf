locals {
  name = "${var.name_prefix}-%s-${var.environment}"

  tags = {
    Project     = "bucketwise"
    Component   = "replication-validation"
    Environment = var.environment
  }

  primary_bucket_names = { for c in var.data_categories : c => format(local.name, "${c}-primary") }
  replica_bucket_names = { for c in var.data_categories : c => format(local.name, "${c}-replica") }

  # The validator's and notifier's REPLICA_MAP (docs/decisions/replication-replica-map.md).
  replica_map = jsonencode({
    for c in var.data_categories : local.primary_bucket_names[c] => {
      bucket = local.replica_bucket_names[c]
      region = var.replica_region
    }
  })

  validation_max_receive_count = 3
  validator_timeout_seconds    = 120
  notifier_timeout_seconds     = 30
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
