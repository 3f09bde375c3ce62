from io import BytesIO

import boto3
from aws_lambda_powertools import Logger
from PIL import Image

logger = Logger()
s3 = boto3.client("s3")


@logger.inject_lambda_context
def main(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
        image = Image.open(BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        image.thumbnail((256, 256))
        buffer = BytesIO()
        image.save(buffer, format="PNG")
        s3.put_object(Bucket=bucket, Key=f"thumbs/{key}", Body=buffer.getvalue())
