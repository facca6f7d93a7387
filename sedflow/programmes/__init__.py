"""Programme profiles shipped with sedflow. The core never imports this package (a test checks it)."""
