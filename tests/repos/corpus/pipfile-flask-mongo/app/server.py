import os

from flask import Flask, jsonify
from pymongo import MongoClient

app = Flask(__name__)
client = MongoClient(os.environ["MONGODB_URI"])


@app.get("/reminders")
def reminders():
    return jsonify(list(client.reminders.items.find({}, {"_id": 0})))
