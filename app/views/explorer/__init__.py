"""The Attention explorer's views: one run of a model seen through its tabs (`tabs`), and the
views of every head that stay readable at 16 x 32 heads (`heads`)."""
