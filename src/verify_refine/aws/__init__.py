"""`verify-refine pull`: policies and unused-permission data fetched from an AWS account with
boto3 (the only package that imports it), written as the folder `batch` reads."""
