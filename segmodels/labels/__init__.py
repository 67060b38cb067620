"""Labels and projects on disk: classes, project folders, image and label I/O, colour and one-hot labels,
blending, export, pixel edits and zoom pyramids. numpy, Pillow and OpenCV only: never torch."""
