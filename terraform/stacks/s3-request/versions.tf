terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: the runner passes bucket, region, key
  # (envs/{env}/s3/{id}/terraform.tfstate) and, for moto, the endpoint with -backend-config.
  backend "s3" {}
}
