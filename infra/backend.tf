# Terraform state. Without a backend block Terraform keeps state in infra/terraform.tfstate on the
# machine that ran `terraform apply`; that is fine for a first trial deploy only.
#
# For a shared deployment keep it in a Cloud Storage bucket (state locking is built in):
#   1. create the bucket once, outside this configuration:
#        gcloud storage buckets create gs://PROJECT_ID-rostersync-tfstate --project=PROJECT_ID \
#          --location=REGION --uniform-bucket-level-access --public-access-prevention
#        gcloud storage buckets update gs://PROJECT_ID-rostersync-tfstate --versioning
#   2. uncomment the block below and set the bucket name;
#   3. run `terraform init -migrate-state` (it copies an existing local state into the bucket).
#
# terraform {
#   backend "gcs" {
#     bucket = "PROJECT_ID-rostersync-tfstate"
#     prefix = "rostersync"
#   }
# }
