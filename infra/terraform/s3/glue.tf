# Athena reads bronze and gold with no crawler: the tables project their partitions
# from the lake layout (course_id/year/month/day), so a new day is queryable at once.

locals {
  projection = {
    "projection.enabled"          = "true"
    "projection.course_id.type"   = "enum"
    "projection.course_id.values" = join(",", var.course_ids)
    "projection.year.type"        = "integer"
    "projection.year.range"       = "${var.projection_start_year},2100"
    "projection.month.type"       = "integer"
    "projection.month.range"      = "1,12"
    "projection.month.digits"     = "2"
    "projection.day.type"         = "integer"
    "projection.day.range"        = "1,31"
    "projection.day.digits"       = "2"
    "classification"              = "parquet"
    "parquet.compression"         = "ZSTD"
    "EXTERNAL"                    = "TRUE"
  }

  partition_keys = [
    { name = "course_id", type = "string" },
    { name = "year", type = "int" },
    { name = "month", type = "int" },
    { name = "day", type = "int" },
  ]

  bronze_columns = [
    { name = "message_id", type = "string" },
    { name = "channel", type = "string" },
    { name = "channel_id", type = "string" },
    { name = "ts", type = "timestamp" },
    { name = "ts_raw", type = "string" },
    { name = "thread_ts", type = "timestamp" },
    { name = "thread_ts_raw", type = "string" },
    { name = "is_thread_head", type = "boolean" },
    { name = "user_id", type = "string" },
    { name = "user_name", type = "string" },
    { name = "client_msg_id", type = "string" },
    { name = "bot_id", type = "string" },
    { name = "subtype", type = "string" },
    { name = "text", type = "string" },
    { name = "text_plain", type = "string" },
    { name = "reactions", type = "array<struct<name:string,count:int>>" },
    { name = "files", type = "array<struct<id:string,name:string,mimetype:string,size:bigint,url_private:string>>" },
    { name = "reply_count", type = "int" },
    { name = "reply_users_count", type = "int" },
    { name = "latest_reply", type = "timestamp" },
    { name = "edited_ts", type = "timestamp" },
    { name = "deleted", type = "boolean" },
    { name = "ingestion_time", type = "timestamp" },
    { name = "source_file_path", type = "string" },
    { name = "sha256", type = "string" },
  ]

  gold_columns = [
    { name = "message_id", type = "string" },
    { name = "ts", type = "timestamp" },
    { name = "thread_ts", type = "timestamp" },
    { name = "is_thread_head", type = "boolean" },
    { name = "text", type = "string" },
    { name = "is_faq", type = "boolean" },
    { name = "score", type = "double" },
    { name = "decision_source", type = "string" },
    { name = "threshold_low", type = "double" },
    { name = "threshold_high", type = "double" },
    { name = "classifier_name", type = "string" },
    { name = "classifier_version", type = "string" },
    { name = "llm_model", type = "string" },
    { name = "llm_confidence", type = "double" },
    { name = "llm_status", type = "string" },
    { name = "llm_reason", type = "string" },
    { name = "canonical_id", type = "string" },
    { name = "canonical_text", type = "string" },
    { name = "faq_matches", type = "array<struct<faq_id:string,score:double>>" },
    { name = "faq_match_id", type = "string" },
    { name = "faq_match_score", type = "double" },
    { name = "faq_status", type = "string" },
    { name = "embedding_model", type = "string" },
    { name = "embedding_version", type = "string" },
    { name = "labeled_at", type = "timestamp" },
  ]

  # Tables partitioned by course only: one file per course, replaced whole.
  faq_columns = [
    { name = "id", type = "string" },
    { name = "section", type = "string" },
    { name = "question", type = "string" },
    { name = "answer_plain", type = "string" },
    { name = "source_path", type = "string" },
    { name = "sha256", type = "string" },
  ]

  cluster_columns = [
    { name = "id", type = "string" },
    { name = "canonical_text", type = "string" },
    { name = "size", type = "int" },
    { name = "first_seen", type = "timestamp" },
    { name = "last_seen", type = "timestamp" },
    { name = "faq_match_id", type = "string" },
    { name = "member_ids", type = "array<string>" },
  ]

  course_tables = {
    reference_faq       = { prefix = "reference/faq", columns = local.faq_columns }
    silver_faq_clusters = { prefix = "silver/faq_clusters", columns = local.cluster_columns }
  }

  tables = {
    bronze_messages = { prefix = "bronze/slack/messages", columns = local.bronze_columns }
    gold_faq_labels = { prefix = "gold/faq_labels", columns = local.gold_columns }
  }
}

resource "aws_glue_catalog_database" "lake" {
  count       = var.create_glue_catalog ? 1 : 0
  name        = var.glue_database_name
  description = "Slack FAQ lake: bronze messages, gold FAQ labels, the course FAQs and question groups."
}

resource "aws_glue_catalog_table" "lake" {
  for_each      = var.create_glue_catalog ? local.tables : {}
  name          = each.key
  database_name = aws_glue_catalog_database.lake[0].name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.projection, {
    "storage.location.template" = "s3://${aws_s3_bucket.slack.bucket}/${each.value.prefix}/course_id=$${course_id}/year=$${year}/month=$${month}/day=$${day}/"
  })

  dynamic "partition_keys" {
    for_each = local.partition_keys

    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.slack.bucket}/${each.value.prefix}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_glue_catalog_table" "course" {
  for_each      = var.create_glue_catalog ? local.course_tables : {}
  name          = each.key
  database_name = aws_glue_catalog_database.lake[0].name
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    "projection.enabled"          = "true"
    "projection.course_id.type"   = "enum"
    "projection.course_id.values" = join(",", var.course_ids)
    "storage.location.template"   = "s3://${aws_s3_bucket.slack.bucket}/${each.value.prefix}/course_id=$${course_id}/"
    "classification"              = "parquet"
    "parquet.compression"         = "ZSTD"
    "EXTERNAL"                    = "TRUE"
  }

  partition_keys {
    name = "course_id"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.slack.bucket}/${each.value.prefix}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
