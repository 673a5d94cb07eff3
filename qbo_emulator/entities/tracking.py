"""Class and Department: the lists a company tracks its transactions by (Intuit's Class and
Department references). Both nest: a child's FullyQualifiedName is "Parent:Child", and QBO marks
it with SubClass / SubDepartment. Neither can be deleted, only made inactive."""

from qbo_emulator.entities import register
from qbo_emulator.entities.spec import DeclaredType, simple_list

register(DeclaredType(simple_list("Class", "class", "SubClass")))
register(DeclaredType(simple_list("Department", "location", "SubDepartment")))
