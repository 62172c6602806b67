output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "region" {
  description = "Region the bucket lives in."
  value       = aws_s3_bucket.this.region
}

output "cost_alarm_arn" {
  description = "ARN of the CloudWatch alarm on the bucket's size."
  value       = aws_cloudwatch_metric_alarm.cost.arn
}
