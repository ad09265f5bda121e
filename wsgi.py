from planapp import create_app

app = create_app()
