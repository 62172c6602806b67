# The two functions, their least-privilege roles, log groups and SQS event source mappings.

data "aws_iam_policy_document" "lambda_assumes" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "validator" {
  name               = format(local.name, "checksum-validator")
  assume_role_policy = data.aws_iam_policy_document.lambda_assumes.json
}

resource "aws_iam_role" "notifier" {
  name               = format(local.name, "failure-notifier")
  assume_role_policy = data.aws_iam_policy_document.lambda_assumes.json
}

resource "aws_cloudwatch_log_group" "validator" {
  name              = "/aws/lambda/${format(local.name, "checksum-validator")}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "notifier" {
  name              = "/aws/lambda/${format(local.name, "failure-notifier")}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

data "aws_iam_policy_document" "validator" {
  statement {
    sid     = "ReadBothSidesOfEachPair"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = concat(
      [for c in var.data_categories : "${module.primary_bucket_config[c].bucket_arn}/*"],
      [for c in var.data_categories : "${module.replica_bucket_config[c].bucket_arn}/*"],
    )
  }

  statement {
    sid       = "DecryptObjects"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.primary_data.arn, aws_kms_key.replica_data.arn]
  }

  statement {
    sid       = "ConsumeValidationQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.validation.arn]
  }

  statement {
    sid       = "ReportPermanentFailures"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failure.arn]
  }

  statement {
    sid       = "UseQueueKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.queues.arn]
  }

  statement {
    sid       = "PublishVerificationSummaries"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.summaries.arn]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.topics.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.validator.arn}:*"]
  }
}

data "aws_iam_policy_document" "notifier" {
  statement {
    sid       = "ConsumeFailureQueueAndValidationDlq"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.failure.arn, aws_sqs_queue.validation_dlq.arn]
  }

  statement {
    sid       = "UseQueueKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.queues.arn]
  }

  statement {
    sid       = "PublishFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.failures.arn]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.topics.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.notifier.arn}:*"]
  }
}

resource "aws_iam_role_policy" "validator" {
  name   = "validate-replicas"
  role   = aws_iam_role.validator.id
  policy = data.aws_iam_policy_document.validator.json
}

resource "aws_iam_role_policy" "notifier" {
  name   = "notify-failures"
  role   = aws_iam_role.notifier.id
  policy = data.aws_iam_policy_document.notifier.json
}

resource "aws_iam_role_policy_attachment" "validator_xray" {
  role       = aws_iam_role.validator.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy_attachment" "notifier_xray" {
  role       = aws_iam_role.notifier.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "validator" {
  #checkov:skip=CKV_AWS_116:SQS-triggered; failed records go to the validation queue's DLQ, not a function DLQ.
  #checkov:skip=CKV_AWS_117:Reads S3 and SQS over public AWS endpoints; no VPC resources are involved (design 3).
  #checkov:skip=CKV_AWS_272:Code signing is not set up for this account yet; zips are built deterministically.
  #checkov:skip=CKV_AWS_173:Environment holds bucket names, a queue URL and a topic ARN only; the AWS-managed key suffices.
  function_name                  = format(local.name, "checksum-validator")
  role                           = aws_iam_role.validator.arn
  runtime                        = "python3.11"
  handler                        = "lambdas.checksum_validator.handler.handler"
  filename                       = var.validator_zip
  source_code_hash               = filebase64sha256(var.validator_zip)
  timeout                        = local.validator_timeout_seconds
  memory_size                    = 512
  reserved_concurrent_executions = 20

  environment {
    variables = {
      REPLICA_MAP       = local.replica_map
      FAILURE_QUEUE_URL = aws_sqs_queue.failure.url
      SUMMARY_TOPIC_ARN = aws_sns_topic.summaries.arn
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.validator, aws_iam_role_policy.validator]
}

resource "aws_lambda_function" "notifier" {
  #checkov:skip=CKV_AWS_116:SQS-triggered; failed records go to the failure DLQ, not a function DLQ.
  #checkov:skip=CKV_AWS_117:Publishes to SNS over public AWS endpoints; no VPC resources are involved (design 3).
  #checkov:skip=CKV_AWS_272:Code signing is not set up for this account yet; zips are built deterministically.
  #checkov:skip=CKV_AWS_173:Environment holds bucket names and a topic ARN only; the AWS-managed key suffices.
  function_name                  = format(local.name, "failure-notifier")
  role                           = aws_iam_role.notifier.arn
  runtime                        = "python3.11"
  handler                        = "lambdas.failure_notifier.handler.handler"
  filename                       = var.notifier_zip
  source_code_hash               = filebase64sha256(var.notifier_zip)
  timeout                        = local.notifier_timeout_seconds
  memory_size                    = 256
  reserved_concurrent_executions = 5

  environment {
    variables = {
      TOPIC_ARN                    = aws_sns_topic.failures.arn
      REPLICA_MAP                  = local.replica_map
      VALIDATION_MAX_RECEIVE_COUNT = tostring(local.validation_max_receive_count)
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.notifier, aws_iam_role_policy.notifier]
}

resource "aws_lambda_event_source_mapping" "validation_queue" {
  event_source_arn        = aws_sqs_queue.validation.arn
  function_name           = aws_lambda_function.validator.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_lambda_event_source_mapping" "failure_queue" {
  event_source_arn        = aws_sqs_queue.failure.arn
  function_name           = aws_lambda_function.notifier.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_lambda_event_source_mapping" "validation_dlq" {
  event_source_arn        = aws_sqs_queue.validation_dlq.arn
  function_name           = aws_lambda_function.notifier.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}
