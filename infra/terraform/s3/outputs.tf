output "bucket_name" {
  description = "The lake bucket; use s3://<bucket_name> as LAKE_URL."
  value       = aws_s3_bucket.slack.bucket
}

output "bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.slack.arn
}

output "ingest_writer_policy_arn" {
  description = "Policy for the ingest job."
  value       = try(aws_iam_policy.ingest_writer[0].arn, null)
}

output "classifier_writer_policy_arn" {
  description = "Policy for the classifier job."
  value       = try(aws_iam_policy.classifier_writer[0].arn, null)
}

output "github_actions_role_arn" {
  description = "Role for the daily workflow: set it as the repository variable AWS_ROLE_ARN."
  value       = try(aws_iam_role.github_actions[0].arn, null)
}

output "glue_database" {
  description = "Glue database holding the bronze_messages and gold_faq_labels tables, for Athena."
  value       = try(aws_glue_catalog_database.lake[0].name, null)
}
