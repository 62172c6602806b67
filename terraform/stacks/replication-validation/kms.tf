# Customer-managed keys. Each policy names the account root (so IAM can administer the key) and
# exactly the services and roles that use it; nothing else.

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

# The statement every key policy starts with (merged in through source_policy_documents).
data "aws_iam_policy_document" "account_administers_key" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" means this key only, and the root statement is how AWS requires key administration.
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }
}

data "aws_iam_policy_document" "primary_data_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  source_policy_documents = [data.aws_iam_policy_document.account_administers_key.json]

  statement {
    sid       = "ReplicationAndValidatorRead"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.replication.arn, aws_iam_role.validator.arn]
    }
  }
}

resource "aws_kms_key" "primary_data" {
  description             = "Primary buckets (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.primary_data_key.json
}

data "aws_iam_policy_document" "replica_data_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  source_policy_documents = [data.aws_iam_policy_document.account_administers_key.json]

  statement {
    sid       = "ReplicationWrites"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.replication.arn]
    }
  }

  statement {
    sid       = "ValidatorReads"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.validator.arn]
    }
  }
}

resource "aws_kms_key" "replica_data" {
  provider                = aws.replica
  description             = "Replica buckets (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.replica_data_key.json
}

data "aws_iam_policy_document" "queues_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  source_policy_documents = [data.aws_iam_policy_document.account_administers_key.json]

  statement {
    sid       = "EventBridgeSendsToValidationQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.object_created.arn]
    }
  }

  statement {
    sid       = "FunctionsReceiveAndSend"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.validator.arn, aws_iam_role.notifier.arn]
    }
  }
}

resource "aws_kms_key" "queues" {
  description             = "Validation and failure queues (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.queues_key.json
}

data "aws_iam_policy_document" "topics_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  source_policy_documents = [data.aws_iam_policy_document.account_administers_key.json]

  statement {
    sid       = "FunctionsPublish"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.notifier.arn, aws_iam_role.validator.arn]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "topics" {
  description             = "Failure, summary and alarm topics (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.topics_key.json
}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" means this key only; writers are named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  source_policy_documents = [data.aws_iam_policy_document.account_administers_key.json]

  statement {
    sid       = "CloudWatchLogsEncrypts"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.primary_region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "Function log groups (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs_key.json
}
