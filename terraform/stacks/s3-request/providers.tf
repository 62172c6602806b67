locals {
  uses_endpoint_override = var.aws_endpoint_url != ""
}

provider "aws" {
  region = var.aws_region

  # An endpoint override (moto in development) replaces every endpoint this stack talks to
  # and turns off the checks that only real AWS can answer.
  dynamic "endpoints" {
    for_each = local.uses_endpoint_override ? [var.aws_endpoint_url] : []

    content {
      cloudwatch = endpoints.value
      iam        = endpoints.value
      kms        = endpoints.value
      s3         = endpoints.value
      sts        = endpoints.value
    }
  }

  # The environment's role (AWS_ROLE_ARN_<ENV>): a run acts only with what that role may do.
  dynamic "assume_role" {
    for_each = var.aws_role_arn == "" ? [] : [var.aws_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "bucketwise-runner"
    }
  }

  s3_use_path_style           = local.uses_endpoint_override
  skip_credentials_validation = local.uses_endpoint_override
  skip_metadata_api_check     = local.uses_endpoint_override
  skip_region_validation      = local.uses_endpoint_override
  skip_requesting_account_id  = local.uses_endpoint_override
}
