output "bucket_pairs" {
  description = "Primary bucket -> replica bucket and region (the REPLICA_MAP the functions use)."
  value       = jsondecode(local.replica_map)
}

output "validation_queue_url" {
  description = "Queue the EventBridge rule feeds."
  value       = aws_sqs_queue.validation.url
}

output "failure_queue_url" {
  description = "Queue of permanent failures, read by the notifier."
  value       = aws_sqs_queue.failure.url
}

output "failure_topic_arn" {
  description = "SNS topic the portal subscribes to; allow-list this ARN in the portal."
  value       = aws_sns_topic.failures.arn
}

output "summary_topic_arn" {
  description = "SNS topic of verification summaries the portal subscribes to; allow-list this ARN too."
  value       = aws_sns_topic.summaries.arn
}
