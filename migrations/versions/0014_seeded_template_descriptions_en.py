"""English descriptions for the seeded task templates (and words for the five that were seeded with none), in
databases seeded before them: `seed_templates` adds only the templates that are missing, so it never reaches
rows that already exist.

A row is filled only while it still holds what the seed gave it (the seeded Persian description, or none at all
under the seeded stage and title, and no English description): an admin's words are never overwritten. The words
are copied here as they stood in this revision (planapp/tasks/seed.py), so the migration keeps doing what it did
when the seed moves on.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

templates = sa.table(
    "task_templates",
    sa.column("stage", sa.String()),
    sa.column("title", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("description_en", sa.Text()),
)

# Seeded with a Persian description: its English words.
TRANSLATED = [
    ('شاخص\u200cهای حوزهٔ کاری دستگاه را برای سال\u200cهای اخیر، به تفکیک شهرستان، ثبت یا بارگذاری کنید.',
     "Enter or upload the indicators of your agency's field for recent years, county by county."),
    ('نقاط قوت، ضعف، فرصت\u200cها و تهدیدهای استان را از نگاه دستگاه یا تشکل خود بنویسید.',
     "Write down the province's strengths, weaknesses, opportunities and threats as your agency or organization sees them."),
    ('نامزدهای هستهٔ پیشران را بر پایهٔ معیارهای تعیین\u200cشده امتیاز دهید.',
     'Score the candidate driving cores against the criteria that have been set.'),
    ('پیشرفت فیزیکی، هزینه\u200cکرد و شاخص\u200cهای عملکرد طرح\u200cهای دستگاه را گزارش کنید.',
     "Report the physical progress, spending and performance indicators of your agency's projects."),
]
# Seeded with no description at all: the words both languages are given now, found by stage and title.
WRITTEN = [
    ('goals', 'پیشنهاد اهداف و پیوند آن\u200cها با اسناد بالادستی',
     'اهداف پیشنهادی دستگاه برای دورهٔ برنامه را بنویسید و برای هر هدف، سند بالادستی و بند مرتبط با آن را ذکر کنید.',
     "Write your agency's proposed goals for the plan period and, for each goal, name the upstream document and the clause it serves."),
    ('programs', 'پیشنهاد برنامه\u200cها و طرح\u200cها',
     'برنامه\u200cها و طرح\u200cهایی را که دستگاه برای رسیدن به اهداف برنامه پیشنهاد می\u200cکند، همراه با هدف مرتبط با هر یک، ثبت کنید.',
     "Enter the programs and projects your agency proposes to reach the plan's goals, each with the goal it serves."),
    ('phasing_resources', 'زمان\u200cبندی و برآورد منابع طرح\u200cها',
     'برای هر طرح دستگاه، زمان\u200cبندی اجرا به تفکیک سال\u200cهای برنامه و منابع مالی و انسانی مورد نیاز و محل تأمین آن\u200cها را برآورد کنید.',
     "For each of your agency's projects, estimate the schedule year by year over the plan period, and the financial and human resources it needs and where they will come from."),
    ('drafting', 'بررسی پیش\u200cنویس سند',
     'پیش\u200cنویس سند را بخوانید و نظرها و اصلاحات پیشنهادی دستگاه را، با ذکر بخش مربوط، بنویسید.',
     "Read the draft document and write your agency's comments and proposed corrections, naming the section each concerns."),
    ('revision', 'پیشنهاد اصلاحات سند',
     'بخش\u200cهایی از سند را که بنا بر گزارش\u200cهای پایش نیاز به اصلاح دارند مشخص کنید و متن یا ارقام جایگزین را پیشنهاد دهید.',
     'Point out the parts of the document that the monitoring reports show need correcting, and propose the replacement text or figures.'),
]



def _no_english():
    return sa.or_(templates.c.description_en.is_(None), templates.c.description_en == "")


def upgrade():
    for fa, en in TRANSLATED:
        op.execute(templates.update().where(templates.c.description == fa, _no_english())
                   .values(description_en=en))
    for stage, title, fa, en in WRITTEN:
        op.execute(templates.update().where(templates.c.stage == stage, templates.c.title == title,
                                            templates.c.description == "", _no_english())
                   .values(description=fa, description_en=en))


def downgrade():
    """Takes back only the exact words this revision wrote, on rows that still hold them."""
    for fa, en in TRANSLATED:
        op.execute(templates.update().where(templates.c.description == fa, templates.c.description_en == en)
                   .values(description_en=""))
    for stage, title, fa, en in WRITTEN:
        op.execute(templates.update().where(templates.c.stage == stage, templates.c.title == title,
                                            templates.c.description == fa, templates.c.description_en == en)
                   .values(description="", description_en=""))
