output "bucket_name" {
  description = "Name of the bucket."
  value       = module.bucket.bucket_name
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = module.bucket.bucket_arn
}

output "region" {
  description = "Region the bucket lives in."
  value       = module.bucket.region
}

output "cost_alarm_arn" {
  description = "ARN of the cost alarm."
  value       = module.bucket.cost_alarm_arn
}

output "app_policy_arn" {
  description = "ARN of the application's IAM policy."
  value       = aws_iam_policy.app.arn
}
