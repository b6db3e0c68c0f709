"""What a worker prints: the first and the last few kilobytes, in bounded memory."""


class BoundedOutput:
    """The first and the last `keep` bytes of a stream, and how many bytes lay between.

    A flood of prints costs neither memory nor disk: everything between the
    head and the tail is counted and dropped.
    """

    def __init__(self, keep):
        self.keep = keep
        self.head = b""
        self.tail = b""
        self.dropped = 0

    def add(self, data):
        room = self.keep - len(self.head)
        self.head, self.tail = self.head + data[:room], self.tail + data[room:]
        if len(self.tail) > self.keep:
            self.dropped += len(self.tail) - self.keep
            self.tail = self.tail[-self.keep:]

    def text(self):
        gap = f"\n[... {self.dropped} bytes not shown ...]\n" if self.dropped else ""
        return self.head.decode(errors="replace") + gap + self.tail.decode(errors="replace")
