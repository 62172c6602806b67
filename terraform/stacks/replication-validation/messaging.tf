# EventBridge rule -> validation queue (-> validation DLQ after 3 receives); failure queue (fed by the
# validator) -> failure DLQ. The notifier reads both the failure queue and the validation DLQ
# (docs/decisions/replication-failure-path.md); the failure DLQ is the last stop and is alarmed.

resource "aws_cloudwatch_event_rule" "object_created" {
  name        = format(local.name, "object-created")
  description = "S3 Object Created in a primary bucket -> replication validation"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [for c in var.data_categories : local.primary_bucket_names[c]] }
    }
  })
}

resource "aws_cloudwatch_event_target" "validation_queue" {
  rule = aws_cloudwatch_event_rule.object_created.name
  arn  = aws_sqs_queue.validation.arn
}

resource "aws_sqs_queue" "failure_dlq" {
  name                      = format(local.name, "failure-dlq")
  kms_master_key_id         = aws_kms_key.queues.arn
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "validation_dlq" {
  name                      = format(local.name, "validation-dlq")
  kms_master_key_id         = aws_kms_key.queues.arn
  message_retention_seconds = 1209600
  # Read by the notifier: messages it cannot publish end in the failure DLQ.
  visibility_timeout_seconds = 6 * local.notifier_timeout_seconds
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failure_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue" "validation" {
  name                       = format(local.name, "validation")
  kms_master_key_id          = aws_kms_key.queues.arn
  visibility_timeout_seconds = 6 * local.validator_timeout_seconds
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.validation_dlq.arn
    maxReceiveCount     = local.validation_max_receive_count
  })
}

resource "aws_sqs_queue" "failure" {
  name                       = format(local.name, "failure")
  kms_master_key_id          = aws_kms_key.queues.arn
  visibility_timeout_seconds = 6 * local.notifier_timeout_seconds
  message_retention_seconds  = 1209600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failure_dlq.arn
    maxReceiveCount     = 5
  })
}

data "aws_iam_policy_document" "validation_queue" {
  statement {
    sid       = "EventBridgeRuleSends"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.validation.arn]
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
}

resource "aws_sqs_queue_policy" "validation" {
  queue_url = aws_sqs_queue.validation.id
  policy    = data.aws_iam_policy_document.validation_queue.json
}
