"""シーズ・機器・支援施策: research seeds and researchers, equipment and test services, support programs."""
