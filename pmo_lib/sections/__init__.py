"""Per report, the sections of its page (one function each) and analyse(report), which computes
what they show. A report notebook calls report.section(sections.<name>) in order."""
