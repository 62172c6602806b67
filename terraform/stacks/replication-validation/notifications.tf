# Failure topic (portal over HTTPS, optional e-mail), summary topic (portal only) and the alarms on DLQ depth and function errors.

resource "aws_sns_topic" "failures" {
  name              = format(local.name, "replication-failures")
  kms_master_key_id = aws_kms_key.topics.arn
}

resource "aws_sns_topic_subscription" "portal" {
  topic_arn = aws_sns_topic.failures.arn
  protocol  = "https"
  endpoint  = var.portal_webhook_url
}

resource "aws_sns_topic_subscription" "failures_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.failures.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# Verification summaries (how many versions the validator verified) go to the portal only: never to
# the e-mail subscribers of the failure topic (docs/decisions/replication-local-pipeline.md).
resource "aws_sns_topic" "summaries" {
  name              = format(local.name, "replication-summaries")
  kms_master_key_id = aws_kms_key.topics.arn
}

resource "aws_sns_topic_subscription" "portal_summaries" {
  topic_arn = aws_sns_topic.summaries.arn
  protocol  = "https"
  endpoint  = var.portal_webhook_url
}

resource "aws_sns_topic" "alarms" {
  name              = format(local.name, "replication-alarms")
  kms_master_key_id = aws_kms_key.topics.arn
}

resource "aws_sns_topic_subscription" "alarms_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

locals {
  dead_letter_queues = {
    validation-dlq = aws_sqs_queue.validation_dlq.name
    failure-dlq    = aws_sqs_queue.failure_dlq.name
  }
  functions = {
    checksum-validator = aws_lambda_function.validator.function_name
    failure-notifier   = aws_lambda_function.notifier.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = local.dead_letter_queues

  alarm_name          = format(local.name, "${each.key}-not-empty")
  alarm_description   = "Messages are waiting in ${each.value}; see docs/replication-validation.md."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.functions

  alarm_name          = format(local.name, "${each.key}-errors")
  alarm_description   = "${each.value} raised errors (invocation failures, not per-record verdicts)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
