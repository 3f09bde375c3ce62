from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0004_sending_domain'),
    ]

    operations = [
        migrations.AlterField(
            model_name='leadimport',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('partial', 'Partially imported'), ('failed', 'Failed')], default='pending', max_length=16),
        ),
    ]
