provider "registry.terraform.io/hashicorp/aws" {
  version = "5.50.0"
}
