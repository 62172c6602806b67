variable "bucket_name" {
  description = "Name of the bucket to create (already derived and validated by the contract)."
  type        = string
}

variable "tags" {
  description = "Every tag to put on the bucket and its alarm."
  type        = map(string)
  default     = {}
}

variable "versioning_enabled" {
  description = "Keep every version of every object."
  type        = bool
}

variable "sse_algorithm" {
  description = "Default encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS with an S3 bucket key)."
  type        = string

  validation {
    condition     = contains(["AES256", "aws:kms"], var.sse_algorithm)
    error_message = "The sse_algorithm must be AES256 or aws:kms."
  }
}

variable "kms_key_alias" {
  description = "Alias of the KMS key (alias/...) used when sse_algorithm is aws:kms; null otherwise."
  type        = string
  default     = null

  validation {
    condition     = (var.sse_algorithm == "aws:kms") == (var.kms_key_alias != null)
    error_message = "The kms_key_alias must be set exactly when sse_algorithm is aws:kms."
  }

  validation {
    condition     = var.kms_key_alias == null || startswith(coalesce(var.kms_key_alias, "-"), "alias/")
    error_message = "The kms_key_alias must start with alias/."
  }
}

variable "public_access_blocked" {
  description = "Turn on all four settings of the bucket's public access block."
  type        = bool
}

variable "access_log_bucket" {
  description = "Bucket that receives the server access logs; null turns access logging off."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of this bucket's access logs in the log bucket."
  type        = string
  default     = ""
}

variable "lifecycle_transitions" {
  description = "Storage class transitions of current objects, in AWS storage class names."
  type = list(object({
    days          = number
    storage_class = string
  }))
  default = []

  validation {
    condition = alltrue([
      for transition in var.lifecycle_transitions :
      contains(["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], transition.storage_class)
      && transition.days >= 0
    ])
    error_message = "Each transition needs days >= 0 and one of STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "expiration_days" {
  description = "Days after which current objects expire; null keeps them forever."
  type        = number
  default     = null

  validation {
    condition     = var.expiration_days == null || coalesce(var.expiration_days, 1) >= 1
    error_message = "The expiration_days must be at least 1 when set."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent versions expire; null keeps them forever."
  type        = number
  default     = null

  validation {
    condition     = var.noncurrent_version_expiration_days == null || coalesce(var.noncurrent_version_expiration_days, 1) >= 1
    error_message = "The noncurrent_version_expiration_days must be at least 1 when set."
  }
}

variable "cost_alert_gb" {
  description = "Alarm threshold in GiB of stored bytes."
  type        = number

  validation {
    condition     = var.cost_alert_gb > 0
    error_message = "The cost_alert_gb must be positive."
  }
}

variable "cost_alarm_storage_types" {
  description = "StorageType dimensions of AWS/S3 BucketSizeBytes that the bucket really uses; the alarm sums them."
  type        = list(string)

  validation {
    # A metric math alarm may reference at most 10 metrics.
    condition     = length(var.cost_alarm_storage_types) >= 1 && length(var.cost_alarm_storage_types) <= 10
    error_message = "Give between 1 and 10 storage types for the cost alarm."
  }
}

variable "alarm_description" {
  description = "Human-readable description of the cost alarm (who owns the bucket, which request made it)."
  type        = string
  default     = "Bucket size is above the requested cost alert threshold."
}

variable "cors_allowed_origins" {
  description = "Origins allowed by CORS; an empty list turns CORS off."
  type        = list(string)
  default     = []
}
