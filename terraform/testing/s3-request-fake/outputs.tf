# Shaped like the outputs of terraform/stacks/s3-request.

output "bucket_name" {
  description = "Name of the bucket."
  value       = terraform_data.bucket.output.bucket_name
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = local.bucket_arn
}

output "region" {
  description = "Region the bucket lives in."
  value       = var.aws_region
}

output "cost_alarm_arn" {
  description = "ARN of the cost alarm."
  value       = "arn:aws:cloudwatch:${var.aws_region}:000000000000:alarm:s3-cost-alert-${var.bucket_name}"
}

output "app_policy_arn" {
  description = "ARN of the application's IAM policy."
  value       = "arn:aws:iam::000000000000:policy/${terraform_data.app_policy.output.name}"
}
