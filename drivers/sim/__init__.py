"""A simulated pulse generator that sits behind pyusb itself: a pyusb backend
(backend.py) serving USB descriptors and moving bulk bytes, and a device
model (device.py, the firmware) that answers the vendor protocol."""
