from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0003_message_indexes_for_sending'),
    ]

    operations = [
        migrations.AlterField(
            model_name='leadimport',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('partial', 'Partially imported'), ('failed', 'Failed')], default='pending', max_length=16),
        ),
    ]
