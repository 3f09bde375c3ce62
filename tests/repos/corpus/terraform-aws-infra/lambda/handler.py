import boto3

s3 = boto3.client("s3")


def main(event, context):
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        s3.copy_object(Bucket="acme-thumbnails", Key=key, CopySource={"Bucket": "acme-uploads", "Key": key})
