# Rendered by requests_app.contract.terraform_variables(); see docs/decisions/terraform-s3-module.md.

variable "request_id" {
  description = "Request id, e.g. S3-0001."
  type        = string
}

variable "bucket_name" {
  description = "Derived bucket name, goldenpath-{env}-{app}-{purpose}."
  type        = string
}

variable "environment" {
  description = "dev, test, staging or prod."
  type        = string
}

variable "application" {
  description = "Application that uses the bucket."
  type        = string
}

variable "owner" {
  description = "Owning team."
  type        = string
}

variable "purpose" {
  description = "logs, uploads, backups, data-lake or static-assets."
  type        = string
}

variable "storage_class" {
  description = "Contract storage class: standard, intelligent-tiering, standard-ia or glacier."
  type        = string
}

variable "versioning_enabled" {
  description = "Keep every version of every object."
  type        = bool
}

variable "sse_algorithm" {
  description = "AES256 or aws:kms."
  type        = string
}

variable "kms_key_alias" {
  description = "KMS key alias when sse_algorithm is aws:kms, else null."
  type        = string
  default     = null
}

variable "public_access_blocked" {
  description = "Turn on all four public access block settings."
  type        = bool
}

variable "access_log_bucket" {
  description = "Target bucket of the access logs; null = access logging off."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of the access logs, e.g. s3/<bucket_name>/."
  type        = string
}

variable "lifecycle_transitions" {
  description = "Transitions of current objects (AWS storage class names), sorted by days."
  type = list(object({
    days          = number
    storage_class = string
  }))
}

variable "expiration_days" {
  description = "Days until current objects expire; null = never."
  type        = number
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days until noncurrent versions expire; null = never."
  type        = number
  default     = null
}

variable "cost_alert_gb" {
  description = "Cost alarm threshold in GiB."
  type        = number
}

variable "cost_alarm_storage_types" {
  description = "StorageType dimensions of BucketSizeBytes the bucket really uses."
  type        = list(string)
}

variable "cors_allowed_origins" {
  description = "CORS origins; empty = CORS off."
  type        = list(string)
}

variable "tags" {
  description = "Every tag to put on the bucket, its alarm and the application policy."
  type        = map(string)
}

variable "app_policy_json" {
  description = "The application's least-privilege IAM policy document (JSON text)."
  type        = string
}

# Deployment variables, added by the runner.

variable "aws_region" {
  description = "Region to deploy into."
  type        = string
}

variable "aws_endpoint_url" {
  description = "Endpoint override for every AWS service (moto in development); empty = real AWS."
  type        = string
  default     = ""
}

variable "aws_role_arn" {
  description = "IAM role the provider assumes (the environment's AWS_ROLE_ARN_<ENV>); empty = the caller's credentials."
  type        = string
  default     = ""
}
