"""Policies inside infrastructure code (CloudFormation, Terraform): found with positions,
refined, and written back in place."""
