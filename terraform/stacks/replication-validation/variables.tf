variable "name_prefix" {
  description = "Prefix of every resource name, e.g. bucketwise."
  type        = string
  default     = "bucketwise"
}

variable "environment" {
  description = "Deployment environment (dev, staging, prod); suffix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits or hyphens."
  }
}

variable "primary_region" {
  description = "Region of the primary buckets, the queues and the functions."
  type        = string
  default     = "eu-west-1"
}

variable "replica_region" {
  description = "Region the replica buckets live in; must differ from primary_region."
  type        = string
  default     = "eu-central-1"
}

variable "data_categories" {
  description = "One primary/replica bucket pair per data category."
  type        = set(string)
  default     = ["documents", "media", "databases"]

  validation {
    condition     = length(var.data_categories) > 0 && alltrue([for c in var.data_categories : can(regex("^[a-z][a-z0-9-]{1,20}$", c))])
    error_message = "data_categories must be non-empty; each category 2-21 lowercase letters, digits or hyphens."
  }
}

variable "noncurrent_to_glacier_ir_days" {
  description = "Days after which noncurrent versions move to Glacier Instant Retrieval."
  type        = number
  default     = 30
}

variable "noncurrent_expiry_days" {
  description = "Days after which noncurrent versions expire; must exceed the transition."
  type        = number
  default     = 365
}

variable "enable_replication_time_control" {
  description = "Turn on S3 Replication Time Control (15-minute SLA) and its replication metrics."
  type        = bool
  default     = false
}

variable "validator_zip" {
  description = "Path of checksum_validator.zip built by `python -m lambdas.build --out DIR`."
  type        = string
}

variable "notifier_zip" {
  description = "Path of failure_notifier.zip built by `python -m lambdas.build --out DIR`."
  type        = string
}

variable "portal_webhook_url" {
  description = "HTTPS endpoint of the portal's SNS ingestion (/hooks/sns/replication/)."
  type        = string

  validation {
    condition     = startswith(var.portal_webhook_url, "https://")
    error_message = "portal_webhook_url must be an https:// URL."
  }
}

variable "alert_email" {
  description = "Optional operator e-mail subscribed to failures and alarms; empty for none."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups."
  type        = number
  default     = 400
}
