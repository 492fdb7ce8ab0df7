"""Operations advice from cluster state and failed-task logs."""
