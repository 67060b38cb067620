"""The image view: QGraphicsView, the image and label layers, editing tools and highlights."""
