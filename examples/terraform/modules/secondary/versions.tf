terraform {
  required_version = ">= 1.6"
  required_providers {
    ferry = {
      source  = "ferry-project/ferry"
      version = "~> 0.1"
    }
  }
}
